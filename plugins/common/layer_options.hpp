// plugins/common/layer_options.hpp - the options every built-in layer shares
// (bias, activation, dropout), read once from the validated options.
#pragma once

#include <string>

#include "marius/sdk/plugin.hpp"

namespace marius::plugins {

struct LayerOptions {
  bool bias = true;
  std::string activation = "relu";  // applied to the layer's output; the core sets "none" on an output layer
  double dropout = 0.0;             // on the layer's input, in training

  explicit LayerOptions(const marius::sdk::Options& o)
      : bias(o.get_bool("bias")), activation(o.get_string("activation")), dropout(o.get_float("dropout")) {}
};

}  // namespace marius::plugins
