// core/plugin/negative_sampler.h - a negative sampler plugin instance.
#pragma once

#include "core/plugin/host_services.h"
#include "core/plugin/plugin_instance.h"

namespace marius {

class NegativeSampler : public PluginInstance {
 public:
  NegativeSampler(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs);

  // Fills args.out (see marius/abi/sampler.h); ctx must carry a random stream.
  void sample(CallContext& ctx, const marius_sample_args& args) const;

 private:
  const marius_sampler_vtable& vtable_;
};

}  // namespace marius
