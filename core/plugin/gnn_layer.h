// core/plugin/gnn_layer.h - a GNN layer plugin instance (marius/abi/layer.h).
//
// Thin, checked calls into the plugin's vtable. describe() is called once, by
// the constructor; its declarations are checked (names unique and non-empty,
// 1 to 4 positive dimensions, a known initialisation) and copied.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/plugin/host_services.h"
#include "core/plugin/plugin_instance.h"

namespace marius {

// A parameter as the layer declared it.
struct LayerParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  uint32_t init = MARIUS_INIT_ZEROS;  // MARIUS_INIT_*
  double scale = 0;
};

class GnnLayer : public PluginInstance {
 public:
  // Creates the instance and asks for its parameters for `dims`. Throws the
  // plugin's error (naming it) when it refuses the dimensions.
  GnnLayer(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs, int64_t in_dim, int64_t out_dim,
           int64_t num_relations);

  int64_t in_dim() const { return dims_.in_dim; }
  int64_t out_dim() const { return dims_.out_dim; }
  int64_t num_relations() const { return dims_.num_relations; }
  const std::vector<LayerParamSpec>& params() const { return params_; }

  void forward(CallContext& ctx, const marius_layer_args& args) const;
  void backward(CallContext& ctx, const marius_layer_args& args) const;

  bool reentrant() const { return (plugin().capabilities() & MARIUS_CAP_REENTRANT) != 0; }

 private:
  const marius_layer_vtable& vtable_;
  marius_layer_dims dims_{};
  std::vector<LayerParamSpec> params_;
};

}  // namespace marius
