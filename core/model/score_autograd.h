// core/model/score_autograd.h - a score function plugin as a differentiable
// LibTorch operation.
//
// DLPack carries no autograd graph, so the core wraps the plugin's forward and
// backward slots in a torch::autograd::Function: gradients flow to lhs, rel and
// rhs (and from there, through index_select, into the embedding and relation
// tables). Inputs are made contiguous float32 on the way in.
#pragma once

#include <ATen/core/Tensor.h>

#include "core/plugin/score_function.h"

namespace marius {

// Scores in `mode` (MARIUS_SCORE_*); shapes as marius/abi/score.h states.
// Throws Error(INVALID_ARGUMENT) for inconsistent shapes, and the plugin's error
// when a slot fails. `fn` must outlive the autograd graph of the result.
at::Tensor plugin_score(const ScoreFunction& fn, uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel,
                        const at::Tensor& rhs);

}  // namespace marius
