// core/model/score_calls.h - calling a score plugin's slots on LibTorch tensors.
//
// The tensors must be contiguous float32 and shaped as marius/abi/score.h states
// for `mode`; outputs are allocated by the caller (or here) and overwritten.
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>

#include "core/plugin/score_function.h"

namespace marius {

// Writes the scores of `mode` into `out` and returns it.
at::Tensor score_forward(const ScoreFunction& fn, CallContext& ctx, uint32_t mode, const at::Tensor& lhs,
                         const at::Tensor& rel, const at::Tensor& rhs, const at::Tensor& out);

// Gradients of sum(grad_out * scores) with respect to each input; an undefined
// grad_* output is not requested. A zero-width rel gets no gradient slot.
void score_backward(const ScoreFunction& fn, CallContext& ctx, uint32_t mode, const at::Tensor& lhs,
                    const at::Tensor& rel, const at::Tensor& rhs, const at::Tensor& grad_out, const at::Tensor& grad_lhs,
                    const at::Tensor& grad_rel, const at::Tensor& grad_rhs);

}  // namespace marius
