// core/kernels/loss.h - contrastive losses over chunked negatives, with their
// gradients in closed form (the training step needs no autograd graph).
#pragma once

#include <ATen/core/Tensor.h>

#include "core/config/choices.h"

namespace marius {

// pos [C,S]: scores of the real edges; neg [C,S,N]: each edge against its chunk's
// negatives; weight [C,S]: per-edge weights (0 for padding, 1/B for a mean).
// Returns the weighted loss; adds d loss / d pos into grad_pos [C,S] and writes
// d loss / d neg into grad_neg [C,S,N].
//   softmax:  -log(exp(pos) / (exp(pos) + sum_n exp(neg_n)))
//   ranking:  sum_n max(0, margin - pos + neg_n)
//   logistic: softplus(-pos) + mean_n softplus(neg_n)
double contrastive_loss(LossKind kind, const at::Tensor& pos, const at::Tensor& neg, const at::Tensor& weight,
                        double margin, at::Tensor& grad_pos, at::Tensor& grad_neg);

// The softmax loss in ATen operations, for tensors on any device (CPU tensors
// take the fused host kernel in contrastive_loss; tests compare the two).
double softmax_loss_generic(const at::Tensor& pos, const at::Tensor& neg, const at::Tensor& weight,
                            at::Tensor& grad_pos, at::Tensor& grad_neg);

}  // namespace marius
