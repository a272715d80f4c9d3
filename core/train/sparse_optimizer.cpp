#include "core/train/sparse_optimizer.h"

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

}  // namespace

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
