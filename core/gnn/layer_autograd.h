// core/gnn/layer_autograd.h - a layer plugin as a differentiable LibTorch
// operation.
//
// DLPack carries no autograd graph, so the core wraps the plugin's forward and
// backward slots in a torch::autograd::Function: gradients flow to the input
// (and from there to the previous layer, the feature rows or the learnable
// embeddings) and to each parameter. The backward call gets the forward's seed,
// so dropout masks agree.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/plugin/gnn_layer.h"

namespace marius {

// The neighbourhood one layer call sees (marius/abi/layer.h): a prefix of a
// DENSE sample, or the whole graph's adjacency.
struct LayerGraph {
  at::Tensor offsets;    // int64 [N_dst + 1]
  at::Tensor neighbors;  // int64 [E], rows of the input
  at::Tensor relations;  // int64 [E], or undefined
  at::Tensor weights;    // float32 [E], or undefined
  at::Tensor degrees;    // float32 [N_src]
  int64_t num_dst() const { return offsets.size(0) - 1; }
};

// output [N_dst, D_out] = layer(input [N_src, D_in], graph, params). Checks
// shapes before calling the plugin; the plugin's output is checked for NaN and
// infinity (Error(NON_FINITE) naming the plugin). `layer` must outlive the
// autograd graph of the result.
at::Tensor plugin_layer(const GnnLayer& layer, const LayerGraph& graph, const at::Tensor& input,
                        const std::vector<at::Tensor>& params, bool training, uint64_t seed);

}  // namespace marius
