#include "core/plugin/gnn_layer.h"

#include <set>

#include "core/error.h"

namespace marius {

GnnLayer::GnnLayer(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs, int64_t in_dim,
                   int64_t out_dim, int64_t num_relations)
    : PluginInstance(std::move(plugin), MARIUS_KIND_LAYER, inputs),
      vtable_(this->plugin().vtable_as<marius_layer_vtable>()) {
  dims_.struct_size = sizeof(marius_layer_dims);
  dims_.in_dim = in_dim;
  dims_.out_dim = out_dim;
  dims_.num_relations = num_relations;
  CallContext ctx(label());
  marius_layer_params out{};
  out.struct_size = sizeof(out);
  ctx.check(vtable_.describe(handle(), ctx.get(), &dims_, &out), "describe");
  if (out.count > 0 && out.items == nullptr) fail(MARIUS_ERR_INTERNAL, "{}: describe returned no parameter list", label());
  std::set<std::string> names;
  for (uint32_t i = 0; i < out.count; ++i) {
    const marius_layer_param* p = out.items[i];
    if (p == nullptr || p->struct_size < MARIUS_LAYER_PARAM_SIZE_1_1 || p->name == nullptr || *p->name == '\0') {
      fail(MARIUS_ERR_INTERNAL, "{}: describe: parameter {} is missing, too small or unnamed", label(), i);
    }
    LayerParamSpec spec{p->name, {}, p->init, p->scale};
    if (!names.insert(spec.name).second) fail(MARIUS_ERR_INTERNAL, "{}: describe: parameter '{}' declared twice", label(), spec.name);
    if (p->ndim < 1 || p->ndim > MARIUS_LAYER_MAX_NDIM) {
      fail(MARIUS_ERR_INTERNAL, "{}: describe: parameter '{}' has {} dimensions (1 to {})", label(), spec.name, p->ndim,
           MARIUS_LAYER_MAX_NDIM);
    }
    for (int32_t k = 0; k < p->ndim; ++k) {
      if (p->shape[k] < 1) fail(MARIUS_ERR_INTERNAL, "{}: describe: parameter '{}' has size {} in dimension {}", label(), spec.name, p->shape[k], k);
      spec.shape.push_back(p->shape[k]);
    }
    if (p->init > MARIUS_INIT_NORMAL) fail(MARIUS_ERR_INTERNAL, "{}: describe: parameter '{}' has unknown init {}", label(), spec.name, p->init);
    params_.push_back(std::move(spec));
  }
}

void GnnLayer::forward(CallContext& ctx, const marius_layer_args& args) const {
  ctx.check(vtable_.forward(handle(), ctx.get(), &args), "forward");
}

void GnnLayer::backward(CallContext& ctx, const marius_layer_args& args) const {
  ctx.check(vtable_.backward(handle(), ctx.get(), &args), "backward");
}

}  // namespace marius
