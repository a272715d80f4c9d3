#include "core/train/loss.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace marius {

LossKind loss_kind(const std::string& name) {
  if (name == "softmax") return LossKind::kSoftmax;
  if (name == "ranking") return LossKind::kRanking;
  if (name == "logistic") return LossKind::kLogistic;
  fail(MARIUS_ERR_INVALID_ARGUMENT, "unknown loss '{}' (softmax, ranking, logistic)", name);
}

double contrastive_loss(LossKind kind, const at::Tensor& pos, const at::Tensor& neg, const at::Tensor& weight,
                        double margin, at::Tensor& grad_pos, at::Tensor& grad_neg) {
  const at::Tensor w = weight.unsqueeze(-1);
  switch (kind) {
    case LossKind::kSoftmax: {
      // Shifted by the row maximum for stability; grad_neg holds exp(neg - top)
      // and is scaled in place to softmax * weight.
      at::Tensor top = at::maximum(pos, std::get<0>(neg.max(-1)));
      grad_neg = at::sub(neg, top.unsqueeze(-1)).exp_();
      at::Tensor pos_exp = at::exp(pos - top);
      at::Tensor total = pos_exp + grad_neg.sum(-1);
      grad_neg.mul_((weight / total).unsqueeze(-1));
      grad_pos.add_((pos_exp / total - 1.0) * weight);
      return ((top + at::log(total) - pos) * weight).sum().item<double>();
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
