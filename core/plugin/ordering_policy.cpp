#include "core/plugin/ordering_policy.h"

#include "core/error.h"

namespace marius {

namespace {

// The sink handed to the plugin: collects states and buckets, refusing a bucket
// before the first state.
struct PlanCollector {
  Plan* plan;
  std::string error;

  static marius_status add_state(void* state, const int32_t* partitions, uint32_t count) noexcept {
    auto* self = static_cast<PlanCollector*>(state);
    try {
      if (partitions == nullptr && count > 0) return MARIUS_ERR_INVALID_ARGUMENT;
      self->plan->states.push_back(BufferState{std::vector<int32_t>(partitions, partitions + count), {}});
      return MARIUS_OK;
    } catch (...) {
      return MARIUS_ERR_OUT_OF_MEMORY;
    }
  }
  static marius_status add_bucket(void* state, int32_t lhs, int32_t rhs) noexcept {
    auto* self = static_cast<PlanCollector*>(state);
    try {
      if (self->plan->states.empty()) {
        self->error = "add_bucket was called before add_state";
        return MARIUS_ERR_INVALID_ARGUMENT;
      }
      self->plan->states.back().buckets.emplace_back(lhs, rhs);
      return MARIUS_OK;
    } catch (...) {
      return MARIUS_ERR_OUT_OF_MEMORY;
    }
  }
};

}  // namespace

OrderingPolicy::OrderingPolicy(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs)
    : PluginInstance(std::move(plugin), MARIUS_KIND_ORDERING_POLICY, inputs),
      vtable_(this->plugin().vtable_as<marius_ordering_vtable>()) {}

Plan OrderingPolicy::plan(CallContext& ctx, int32_t num_partitions, int32_t buffer_capacity) const {
  Plan plan;
  plan.num_partitions = num_partitions;
  plan.buffer_capacity = buffer_capacity;
  PlanCollector collector{&plan, {}};
  marius_plan_sink sink{sizeof(marius_plan_sink), 0, &collector, &PlanCollector::add_state, &PlanCollector::add_bucket};
  marius_plan_args args{sizeof(marius_plan_args), num_partitions, buffer_capacity, 0, &sink};
  marius_status status = vtable_.plan(handle(), ctx.get(), &args);
  if (status != MARIUS_OK && !collector.error.empty() && ctx.last_message().empty()) {
    ctx.check(status, ("plan (" + collector.error + ")").c_str());
  }
  ctx.check(status, "plan");
  validate_plan(plan, label());
  return plan;
}

}  // namespace marius
