#include "core/plugin/negative_sampler.h"

namespace marius {

NegativeSampler::NegativeSampler(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs)
    : PluginInstance(std::move(plugin), MARIUS_KIND_NEGATIVE_SAMPLER, inputs),
      vtable_(this->plugin().vtable_as<marius_sampler_vtable>()) {}

void NegativeSampler::sample(CallContext& ctx, const marius_sample_args& args) const {
  ctx.check(vtable_.sample(handle(), ctx.get(), &args), "sample");
}

}  // namespace marius
