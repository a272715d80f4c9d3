#include "core/kernels/sparse_optimizer.h"

#include <cmath>
#include <cstring>
#include <vector>

#include <ATen/ATen.h>

#include "core/kernels/cpu_clones.h"

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

// True when the float whose bits are `bits` is NaN or infinite (its exponent is
// all ones). Integer operations: the update loop stays vectorised.
inline uint32_t non_finite_bits(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return static_cast<uint32_t>((~bits & 0x7f800000u) == 0);
}

// Whether every value of `t` is finite (any device).
bool all_finite(const at::Tensor& t) { return t.numel() == 0 || t.isfinite().all().item<bool>(); }

// One pass over the batch's gradients and one over the unique rows, with no
// temporaries: slot[row] maps a row to its accumulator while the call runs.
// Returns false when an updated value or state is not finite.
MARIUS_CPU_CLONES bool fused_adagrad(
    at::Tensor& param, at::Tensor& state, const std::vector<RowGradients>& parts, float lr, float eps, bool row_wise) {
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
  uint32_t bad = 0;
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
    if (row_wise) {
      float mean_square = 0;
      for (int64_t j = 0; j < d; ++j) mean_square += acc[j] * acc[j];
      const float s = sr[0] + mean_square / static_cast<float>(d);
      const float step = lr / (std::sqrt(s) + eps);
      bad |= non_finite_bits(s);
      for (int64_t j = 0; j < d; ++j) {
        sr[j] = s;
        const float x = pr[j] - step * acc[j];
        pr[j] = x;
        bad |= non_finite_bits(x);
      }
    } else {
      for (int64_t j = 0; j < d; ++j) {
        const float s = sr[j] + acc[j] * acc[j];
        sr[j] = s;
        const float x = pr[j] - lr * acc[j] / (std::sqrt(s) + eps);
        pr[j] = x;
        bad |= non_finite_bits(s) | non_finite_bits(x);
      }
    }
    slot[r] = -1;
  }
  return bad == 0;
}

}  // namespace

bool sparse_adagrad(at::Tensor& param, at::Tensor& state, const std::vector<RowGradients>& parts, double lr,
                    double eps, bool fused, bool row_wise) {
  if (param.size(1) == 0) return true;
  if (fused && param.is_cpu() && param.size(0) <= kFusedMaxRows && param.is_contiguous() && state.is_contiguous() &&
      param.scalar_type() == at::kFloat) {
    return fused_adagrad(param, state, parts, static_cast<float>(lr), static_cast<float>(eps), row_wise);
  }
  std::vector<at::Tensor> ids, grads;
  for (const RowGradients& part : parts) {
    ids.push_back(part.ids);
    grads.push_back(part.grads);
  }
  return sparse_adagrad(param, state, at::cat(ids), at::cat(grads), lr, eps, row_wise);
}

bool sparse_adagrad(at::Tensor& param, at::Tensor& state, const at::Tensor& ids, const at::Tensor& grads, double lr,
                    double eps, bool row_wise) {
  if (ids.numel() == 0 || param.size(1) == 0) return true;
  auto [rows, g] = coalesce(ids, grads);
  at::Tensor s = row_wise ? state.index_select(0, rows).narrow(1, 0, 1).add((g * g).mean(1, /*keepdim=*/true))
                                .expand_as(g)
                                .contiguous()
                          : state.index_select(0, rows).addcmul_(g, g);
  state.index_copy_(0, rows, s);
  const bool finite_state = all_finite(s);
  param.index_add_(0, rows, g.div_(s.sqrt_().add_(eps)).mul_(-lr));
  return finite_state && all_finite(param.index_select(0, rows));
}

bool sparse_adam(at::Tensor& param, at::Tensor& m, at::Tensor& v, at::Tensor& steps, const at::Tensor& ids,
                 const at::Tensor& grads, double lr, double beta1, double beta2, double eps) {
  if (ids.numel() == 0 || param.size(1) == 0) return true;
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
  return all_finite(vr) && all_finite(param.index_select(0, rows));
}

}  // namespace marius
