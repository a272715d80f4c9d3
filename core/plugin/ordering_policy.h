// core/plugin/ordering_policy.h - an edge-bucket ordering plugin instance and
// the plans it makes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/plugin/host_services.h"
#include "core/plugin/plugin_instance.h"

namespace marius {

// One epoch's schedule: buffer states in order, each with the buckets processed
// while it holds.
struct BufferState {
  std::vector<int32_t> partitions;
  std::vector<std::pair<int32_t, int32_t>> buckets;
};

struct Plan {
  int32_t num_partitions = 0;
  int32_t buffer_capacity = 0;
  std::vector<BufferState> states;

  // Partitions loaded after the first state: the number of partition swaps.
  int64_t swaps() const;
};

// Throws Error(INVALID_ARGUMENT) "<context>: invalid plan: <why>" unless every
// bucket appears exactly once, no state exceeds the capacity or repeats a
// partition, partition ids lie in [0, p), and each bucket's partitions are both
// resident in its state.
void validate_plan(const Plan& plan, const std::string& context);

class OrderingPolicy : public PluginInstance {
 public:
  OrderingPolicy(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs);

  // Asks the plugin for a plan and validates it.
  Plan plan(CallContext& ctx, int32_t num_partitions, int32_t buffer_capacity) const;

 private:
  const marius_ordering_vtable& vtable_;
};

}  // namespace marius
