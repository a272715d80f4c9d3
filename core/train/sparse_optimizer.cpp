#include "core/train/sparse_optimizer.h"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>

namespace marius {

namespace {

// Unique rows and the summed gradient of each.
std::pair<at::Tensor, at::Tensor> coalesce(const at::Tensor& ids, const at::Tensor& grads) {
  auto [unique, inverse] = at::_unique(ids, /*sorted=*/true, /*return_inverse=*/true);
  at::Tensor summed = at::zeros({unique.size(0), grads.size(1)}, grads.options());
  summed.index_add_(0, inverse, grads);
  return {unique, summed};
}

// Row tables up to this many rows use the fused path (a per-thread slot map of
// 4 bytes per row); larger ones coalesce by sorting.
constexpr int64_t kFusedMaxRows = int64_t{1} << 26;

// One pass over the batch's gradients and one over the unique rows, with no
// temporaries: slot[row] maps a row to its accumulator while the call runs.
__attribute__((target_clones("avx512f", "avx2", "default"))) void fused_adagrad(at::Tensor& param, at::Tensor& state, const std::vector<RowGradients>& parts, float lr,
                   float eps) {
  thread_local std::vector<int32_t> slot;
  thread_local std::vector<int64_t> rows;
  thread_local std::vector<float> sums;
  const int64_t n = param.size(0), d = param.size(1);
  int64_t k = 0;
  for (const RowGradients& part : parts) k += part.ids.numel();
  if (static_cast<int64_t>(slot.size()) < n) slot.assign(static_cast<size_t>(n), -1);
  rows.clear();
  sums.resize(static_cast<size_t>(std::min(k, n) * d));
  for (const RowGradients& part : parts) {
    at::Tensor ids = part.ids.contiguous(), grads = part.grads.contiguous();
    const int64_t* id = ids.data_ptr<int64_t>();
    const float* g = grads.data_ptr<float>();
    for (int64_t i = 0; i < ids.numel(); ++i) {
      const int64_t r = id[i];
      int32_t s = slot[r];
      const float* __restrict gi = g + i * d;
      if (s < 0) {
        s = static_cast<int32_t>(rows.size());
        slot[r] = s;
        rows.push_back(r);
        float* __restrict acc = &sums[static_cast<size_t>(s * d)];
        for (int64_t j = 0; j < d; ++j) acc[j] = gi[j];
      } else {
        float* __restrict acc = &sums[static_cast<size_t>(s * d)];
        for (int64_t j = 0; j < d; ++j) acc[j] += gi[j];
      }
    }
  }
  float* p = param.data_ptr<float>();
  float* st = state.data_ptr<float>();
  // Rows are scattered over the table: fetch a few rows ahead so the update
  // does not stall on each row's cache misses.
  constexpr size_t kAhead = 4;
  const int64_t row_bytes = d * static_cast<int64_t>(sizeof(float));
  for (size_t u = 0; u < rows.size(); ++u) {
    if (u + kAhead < rows.size()) {
      const char* pa = reinterpret_cast<const char*>(p + rows[u + kAhead] * d);
      const char* sa = reinterpret_cast<const char*>(st + rows[u + kAhead] * d);
      for (int64_t off = 0; off < row_bytes; off += 64) {
        __builtin_prefetch(pa + off, 1);
        __builtin_prefetch(sa + off, 1);
      }
    }
    const int64_t r = rows[u];
    const float* __restrict acc = &sums[u * d];
    float* __restrict pr = p + r * d;
    float* __restrict sr = st + r * d;
    for (int64_t j = 0; j < d; ++j) {
      const float s = sr[j] + acc[j] * acc[j];
      sr[j] = s;
      pr[j] -= lr * acc[j] / (std::sqrt(s) + eps);
    }
    slot[r] = -1;
  }
}

}  // namespace

void sparse_adagrad(at::Tensor& param, at::Tensor& state, const std::vector<RowGradients>& parts, double lr,
                    double eps, bool fused) {
  if (param.size(1) == 0) return;
  if (fused && param.is_cpu() && param.size(0) <= kFusedMaxRows && param.is_contiguous() && state.is_contiguous() &&
      param.scalar_type() == at::kFloat) {
    fused_adagrad(param, state, parts, static_cast<float>(lr), static_cast<float>(eps));
    return;
  }
  std::vector<at::Tensor> ids, grads;
  for (const RowGradients& part : parts) {
    ids.push_back(part.ids);
    grads.push_back(part.grads);
  }
  sparse_adagrad(param, state, at::cat(ids), at::cat(grads), lr, eps);
}

void sparse_adagrad(at::Tensor& param, at::Tensor& state, const at::Tensor& ids, const at::Tensor& grads, double lr,
                    double eps) {
  if (ids.numel() == 0 || param.size(1) == 0) return;
  auto [rows, g] = coalesce(ids, grads);
  at::Tensor s = state.index_select(0, rows).addcmul_(g, g);
  state.index_copy_(0, rows, s);
  param.index_add_(0, rows, g.div_(s.sqrt_().add_(eps)).mul_(-lr));
}

void sparse_adam(at::Tensor& param, at::Tensor& m, at::Tensor& v, at::Tensor& steps, const at::Tensor& ids,
                 const at::Tensor& grads, double lr, double beta1, double beta2, double eps) {
  if (ids.numel() == 0 || param.size(1) == 0) return;
  auto [rows, g] = coalesce(ids, grads);
  at::Tensor t = steps.index_select(0, rows).add_(1);
  steps.index_copy_(0, rows, t);
  at::Tensor mr = m.index_select(0, rows).mul_(beta1).add_(g, 1 - beta1);
  at::Tensor vr = v.index_select(0, rows).mul_(beta2).addcmul_(g, g, 1 - beta2);
  m.index_copy_(0, rows, mr);
  v.index_copy_(0, rows, vr);
  at::Tensor tf = t.to(at::kDouble);
  at::Tensor c1 = (1 - at::pow(beta1, tf)).to(at::kFloat).unsqueeze(1);
  at::Tensor c2 = (1 - at::pow(beta2, tf)).to(at::kFloat).unsqueeze(1);
  at::Tensor step = (mr / c1) / ((vr / c2).sqrt_().add_(eps));
  param.index_add_(0, rows, step.mul_(-lr));
}

}  // namespace marius
