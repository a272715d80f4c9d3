#include "core/plugin/score_function.h"

#include "core/error.h"

namespace marius {

ScoreFunction::ScoreFunction(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs)
    : PluginInstance(std::move(plugin), MARIUS_KIND_SCORE_FUNCTION, inputs),
      vtable_(this->plugin().vtable_as<marius_score_vtable>()) {}

int64_t ScoreFunction::relation_width(CallContext& ctx, int64_t dim) const {
  int64_t width = -1;
  ctx.check(vtable_.relation_width(handle(), ctx.get(), dim, &width), "relation_width");
  if (width < 0) fail(MARIUS_ERR_INTERNAL, "{}: relation_width returned {} for dimension {}", label(), width, dim);
  return width;
}

void ScoreFunction::init_relations(CallContext& ctx, DLTensor& params) const {
  ctx.check(vtable_.init_relations(handle(), ctx.get(), &params), "init_relations");
}

void ScoreFunction::forward(CallContext& ctx, const marius_score_args& args) const {
  ctx.check(vtable_.forward(handle(), ctx.get(), &args), "forward");
}

void ScoreFunction::backward(CallContext& ctx, const marius_score_args& args) const {
  ctx.check(vtable_.backward(handle(), ctx.get(), &args), "backward");
}

}  // namespace marius
