#include "core/plugin/score_function.h"

#include "core/error.h"

namespace marius {

ScoreFunction::ScoreFunction(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs)
    : PluginInstance(std::move(plugin), MARIUS_KIND_SCORE_FUNCTION, inputs),
      vtable_(this->plugin().vtable_as<marius_score_vtable>()) {
  if (!MARIUS_HAS_SLOT(marius_score_vtable, &vtable_, decompose) || vtable_.decompose == nullptr) return;
  marius_score_decomposition d{};
  d.struct_size = sizeof(d);
  CallContext ctx(label());
  ctx.check(vtable_.decompose(handle(), ctx.get(), &d), "decompose");
  if (d.comparator == MARIUS_COMPARATOR_NONE) return;
  if (d.comparator > MARIUS_COMPARATOR_SQUARED_L2) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: decompose named comparator {}, which this host does not know (1 dot, "
         "2 cosine, 3 l2, 4 squared_l2)", label(), d.comparator);
  }
  if (!MARIUS_HAS_SLOT(marius_score_vtable, &vtable_, operator_backward) || vtable_.apply_operator == nullptr ||
      vtable_.operator_backward == nullptr) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: decompose named a comparator but apply_operator or operator_backward is "
         "missing", label());
  }
  comparator_ = d.comparator;
}

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

void ScoreFunction::apply_operator(CallContext& ctx, const marius_operator_args& args) const {
  ctx.check(vtable_.apply_operator(handle(), ctx.get(), &args), "apply_operator");
}

void ScoreFunction::operator_backward(CallContext& ctx, const marius_operator_args& args) const {
  ctx.check(vtable_.operator_backward(handle(), ctx.get(), &args), "operator_backward");
}

}  // namespace marius
