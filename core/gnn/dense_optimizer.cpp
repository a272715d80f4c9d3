#include "core/gnn/dense_optimizer.h"

#include <cmath>

#include <ATen/ATen.h>

namespace marius {

DenseOptimizer::DenseOptimizer(const Config& c)
    : kind_(c.dense_optimizer),
      lr_(c.dense_learning_rate),
      decay_(c.weight_decay),
      beta1_(c.adam_beta1),
      beta2_(c.adam_beta2),
      eps_(c.adam_eps) {}

int64_t DenseOptimizer::step(std::vector<at::Tensor>& params) {
  for (size_t k = 0; k < params.size(); ++k) {
    const at::Tensor& g = params[k].grad();
    if (g.defined() && !at::isfinite(g).all().item<bool>()) return static_cast<int64_t>(k);
  }
  at::NoGradGuard no_grad;
  m_.resize(params.size());
  v_.resize(params.size());
  ++steps_;
  const double correction1 = 1 - std::pow(beta1_, static_cast<double>(steps_));
  const double correction2 = 1 - std::pow(beta2_, static_cast<double>(steps_));
  for (size_t k = 0; k < params.size(); ++k) {
    at::Tensor& p = params[k];
    at::Tensor g = p.grad();
    if (!g.defined()) continue;
    if (kind_ == DenseOptimizerKind::kAdamW) {
      if (decay_ > 0) p.mul_(1 - lr_ * decay_);
    } else if (decay_ > 0) {
      g = g + decay_ * p;
    }
    if (kind_ == DenseOptimizerKind::kSgd) {
      p.sub_(g, lr_);
    } else {
      if (!m_[k].defined()) m_[k] = at::zeros_like(p), v_[k] = at::zeros_like(p);
      m_[k].mul_(beta1_).add_(g, 1 - beta1_);
      v_[k].mul_(beta2_).addcmul_(g, g, 1 - beta2_);
      at::Tensor denom = (v_[k] / correction2).sqrt_().add_(eps_);
      p.addcdiv_(m_[k], denom, -lr_ / correction1);
    }
    p.mutable_grad() = at::Tensor();
  }
  return -1;
}

}  // namespace marius
