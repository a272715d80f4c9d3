// core/model/decomposed_score.h - scoring a plugin that decomposes into a relation
// operator and a comparator (marius/abi/score.h, since ABI 1.2).
//
// The plugin applies its operator to the side the edges know, O(B*D); the core
// runs the comparator (marius/sdk/comparators.hpp) as matrix products against
// the shared negatives. decomposed_forward / decomposed_backward keep the
// contract of score_forward / score_backward (core/model/score_calls.h), which
// call them when fn.comparator() is not NONE; a caller that scores the same
// queries against their positives and their negatives (the fused link-prediction
// step) applies the operator once with relation_operator and differentiates it
// once with relation_operator_backward.
#pragma once

#include <ATen/core/Tensor.h>

#include "core/plugin/score_function.h"

namespace marius {

void decomposed_forward(const ScoreFunction& fn, CallContext& ctx, uint32_t mode, const at::Tensor& lhs,
                        const at::Tensor& rel, const at::Tensor& rhs, const at::Tensor& out);

void decomposed_backward(const ScoreFunction& fn, CallContext& ctx, uint32_t mode, const at::Tensor& lhs,
                         const at::Tensor& rel, const at::Tensor& rhs, const at::Tensor& grad_out,
                         const at::Tensor& grad_lhs, const at::Tensor& grad_rel, const at::Tensor& grad_rhs);

// y = op_side(x, rel) through the plugin: x [B,D], rel [B,R] -> y [B,D].
at::Tensor relation_operator(const ScoreFunction& fn, CallContext& ctx, uint32_t side, const at::Tensor& x,
                             const at::Tensor& rel);

// Overwrites grad_x and grad_rel (either may be undefined: not requested) with the
// gradients of sum(grad_y * op_side(x, rel)). A zero-width rel gets zeros.
void relation_operator_backward(const ScoreFunction& fn, CallContext& ctx, uint32_t side, const at::Tensor& x,
                                const at::Tensor& rel, const at::Tensor& grad_y, const at::Tensor& grad_x,
                                const at::Tensor& grad_rel);

}  // namespace marius
