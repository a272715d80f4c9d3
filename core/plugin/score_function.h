// core/plugin/score_function.h - a score function plugin instance.
//
// Thin, checked calls into the plugin's vtable (see marius/abi/score.h for the
// tensor contract). Errors become marius::Error with the plugin's message. The
// constructor asks a 1.2 plugin for its decomposition once and checks it.
#pragma once

#include "core/plugin/host_services.h"
#include "core/plugin/plugin_instance.h"

namespace marius {

class ScoreFunction : public PluginInstance {
 public:
  ScoreFunction(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs);

  int64_t relation_width(CallContext& ctx, int64_t dim) const;
  void init_relations(CallContext& ctx, DLTensor& params) const;
  void forward(CallContext& ctx, const marius_score_args& args) const;
  void backward(CallContext& ctx, const marius_score_args& args) const;

  // The comparator this instance decomposes into (MARIUS_COMPARATOR_*), or
  // MARIUS_COMPARATOR_NONE: then only forward/backward may be called.
  uint32_t comparator() const { return comparator_; }
  void apply_operator(CallContext& ctx, const marius_operator_args& args) const;
  void operator_backward(CallContext& ctx, const marius_operator_args& args) const;

  // True when the instance may be called from several threads at once.
  bool reentrant() const { return (plugin().capabilities() & MARIUS_CAP_REENTRANT) != 0; }

 private:
  const marius_score_vtable& vtable_;
  uint32_t comparator_ = MARIUS_COMPARATOR_NONE;
};

}  // namespace marius
