// core/gnn/encoder.h - a stack of GNN layer plugins and their parameters.
//
// Layer k maps width dims[k] to dims[k+1]: the input width, hidden_dim for
// every layer but the last, and the output width. Every layer is an instance
// of the same layer plugin with model.encoder_options; the last layer also
// gets model.output_layer_options on top, and activation = "none" unless those
// set one (the output feeds a classifier or a score function). Parameters are
// initialised by the host as each layer declared, from the run's seed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/config/value.h"
#include "core/gnn/adjacency.h"
#include "core/gnn/dense_sampler.h"
#include "core/plugin/gnn_layer.h"
#include "core/plugin/registry.h"

namespace marius {

struct EncoderSpec {
  std::string layer;            // plugin name or manifest path
  OptionInputs options;         // every layer's
  OptionInputs output_options;  // the last layer's, over `options`
  int64_t num_layers = 1;
  int64_t in_dim = 0, hidden_dim = 0, out_dim = 0;
  int64_t num_relations = 1;    // edge types the layers see (Adjacency::num_relations)
};

class GnnEncoder {
 public:
  // Loads the layer plugin, creates one instance per layer and initialises the
  // parameters from `seed`. Throws Error naming the plugin or key at fault.
  GnnEncoder(PluginRegistry& registry, const EncoderSpec& spec, uint64_t seed);
  ~GnnEncoder();

  int64_t num_layers() const { return static_cast<int64_t>(layers_.size()); }
  const GnnLayer& layer(int64_t k) const { return *layers_[static_cast<size_t>(k)]; }
  const EncoderSpec& spec() const { return spec_; }

  // Every parameter, layer by layer in declaration order, named
  // "layer<k>.<name>"; tensors that require grad (a dense optimizer updates
  // them in place).
  std::vector<at::Tensor>& parameters() { return flat_; }
  const std::vector<at::Tensor>& parameters() const { return flat_; }
  const std::vector<std::string>& parameter_names() const { return names_; }
  // The same tensors, grouped by layer.
  const std::vector<std::vector<at::Tensor>>& layer_parameters() const { return params_; }

  // The output rows of the sample's roots' hop ([hop_end[0], out_dim]) from
  // `input` [hop_end.back(), in_dim] (the sampled nodes' input rows), with
  // autograd. `seed` drives dropout (layer k gets mix(seed + k)).
  at::Tensor forward(const DenseSample& sample, const at::Tensor& input, bool training, uint64_t seed) const;
  // The same with other values of the parameters (a stash shaped like
  // layer_parameters(), see dense_parameters.h).
  at::Tensor forward(const DenseSample& sample, const at::Tensor& input, bool training, uint64_t seed,
                     const std::vector<std::vector<at::Tensor>>& params) const;

  // Full-neighbourhood inference: every node's output [N, out_dim] from
  // `input` [N, in_dim], each layer computed once for all nodes, without
  // autograd or dropout.
  at::Tensor infer(const Adjacency& adjacency, const at::Tensor& input) const;
  // Layer k alone, without autograd or dropout: the output of graph's
  // destinations (the first graph.num_dst() rows of `input`).
  at::Tensor infer_layer(int64_t k, const LayerGraph& graph, const at::Tensor& input) const;

 private:
  EncoderSpec spec_;
  std::vector<std::unique_ptr<GnnLayer>> layers_;
  std::vector<std::vector<at::Tensor>> params_;  // by layer
  std::vector<at::Tensor> flat_;
  std::vector<std::string> names_;
};

// A tensor of `shape` initialised as `spec` says, from generator seed `seed`.
at::Tensor initial_parameter(const LayerParamSpec& spec, uint64_t seed);

}  // namespace marius
