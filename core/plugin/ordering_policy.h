// core/plugin/ordering_policy.h - an edge-bucket ordering plugin instance and
// the plans it makes (Plan, BufferState: core/storage/plan.h).
#pragma once

#include <cstdint>
#include <memory>

#include "core/plugin/host_services.h"
#include "core/plugin/plugin_instance.h"
#include "core/storage/plan.h"

namespace marius {

class OrderingPolicy : public PluginInstance {
 public:
  OrderingPolicy(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs);

  // Asks the plugin for a plan and validates it.
  Plan plan(CallContext& ctx, int32_t num_partitions, int32_t buffer_capacity) const;

 private:
  const marius_ordering_vtable& vtable_;
};

}  // namespace marius
