#include "core/kernels/loss.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/kernels/softmax_kernel.h"

namespace marius {

double softmax_loss_generic(const at::Tensor& pos, const at::Tensor& neg, const at::Tensor& weight,
                            at::Tensor& grad_pos, at::Tensor& grad_neg) {
  // Per row: top = max(pos, negatives); total = e^(pos-top) + sum e^(neg-top);
  // loss = w (top + log total - pos); d/dneg = w e^(neg-top) / total;
  // d/dpos = w (e^(pos-top) / total - 1).
  at::Tensor top = at::maximum(neg.amax(-1), pos);
  at::Tensor e_neg = (neg - top.unsqueeze(-1)).exp_();
  at::Tensor e_pos = (pos - top).exp_();
  at::Tensor total = e_neg.sum(-1).add_(e_pos);
  at::Tensor scale = weight / total;
  grad_neg = e_neg.mul_(scale.unsqueeze(-1));
  grad_pos.add_((e_pos / total - 1) * weight);
  return ((top + total.log() - pos) * weight).sum().item<double>();
}

double contrastive_loss(LossKind kind, const at::Tensor& pos, const at::Tensor& neg, const at::Tensor& weight,
                        double margin, at::Tensor& grad_pos, at::Tensor& grad_neg) {
  const at::Tensor w = weight.unsqueeze(-1);
  switch (kind) {
    case LossKind::kSoftmax: {
      if (!pos.is_cpu()) return softmax_loss_generic(pos, neg, weight, grad_pos, grad_neg);
      at::Tensor p = pos.contiguous(), x = neg.contiguous(), wc = weight.contiguous();
      grad_neg = at::empty_like(x);
      at::Tensor gp = grad_pos.is_contiguous() ? grad_pos : grad_pos.contiguous();
      double loss = softmax_cross_entropy(p.data_ptr<float>(), x.data_ptr<float>(), wc.data_ptr<float>(), p.numel(),
                                          x.size(-1), gp.data_ptr<float>(), grad_neg.data_ptr<float>());
      if (!gp.is_same(grad_pos)) grad_pos.copy_(gp);
      return loss;
    }
    case LossKind::kRanking: {
      at::Tensor violation = neg - pos.unsqueeze(-1) + margin;
      at::Tensor active = (violation > 0).to(at::kFloat).mul_(w);
      grad_neg = active;
      grad_pos.sub_(active.sum(-1));
      return (at::relu(violation) * w).sum().item<double>();
    }
    case LossKind::kLogistic: {
      const double n = static_cast<double>(neg.size(-1));
      grad_neg = at::sigmoid(neg).mul_(w).div_(n);
      grad_pos.sub_(at::sigmoid(-pos) * weight);
      at::Tensor loss = at::softplus(-pos) + at::softplus(neg).sum(-1) / n;
      return (loss * weight).sum().item<double>();
    }
  }
  return 0;
}

}  // namespace marius
