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
      at::Tensor top = at::maximum(pos, std::get<0>(neg.max(-1)));
      at::Tensor neg_exp = at::exp(neg - top.unsqueeze(-1));
      at::Tensor pos_exp = at::exp(pos - top);
      at::Tensor total = pos_exp + neg_exp.sum(-1);
      at::Tensor lse = top + at::log(total);
      grad_neg = neg_exp.div_(total.unsqueeze(-1)).mul_(w);
      grad_pos.add_((pos_exp / total - 1.0) * weight);
      return ((lse - pos) * weight).sum().item<double>();
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
