#include "core/plugin/ordering_policy.h"

#include <set>

#include "core/error.h"

namespace marius {

int64_t Plan::swaps() const {
  int64_t swaps = 0;
  for (size_t i = 1; i < states.size(); ++i) {
    std::set<int32_t> before(states[i - 1].partitions.begin(), states[i - 1].partitions.end());
    for (int32_t p : states[i].partitions) swaps += before.count(p) == 0 ? 1 : 0;
  }
  return swaps;
}

void validate_plan(const Plan& plan, const std::string& context) {
  const int32_t p = plan.num_partitions;
  std::vector<int> seen(static_cast<size_t>(p) * p, 0);
  if (plan.states.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: invalid plan: no buffer states", context);
  for (size_t s = 0; s < plan.states.size(); ++s) {
    const BufferState& state = plan.states[s];
    if (state.partitions.empty() || static_cast<int64_t>(state.partitions.size()) > plan.buffer_capacity) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: invalid plan: state {} holds {} partitions, capacity is {}", context, s,
           state.partitions.size(), plan.buffer_capacity);
    }
    std::set<int32_t> resident;
    for (int32_t part : state.partitions) {
      if (part < 0 || part >= p) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: invalid plan: state {} holds partition {}, outside [0, {})", context, s,
             part, p);
      }
      if (!resident.insert(part).second) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: invalid plan: state {} lists partition {} twice", context, s, part);
      }
    }
    for (auto [lhs, rhs] : state.buckets) {
      if (lhs < 0 || lhs >= p || rhs < 0 || rhs >= p) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: invalid plan: bucket ({},{}) outside [0, {})", context, lhs, rhs, p);
      }
      if (resident.count(lhs) == 0 || resident.count(rhs) == 0) {
        fail(MARIUS_ERR_INVALID_ARGUMENT,
             "{}: invalid plan: bucket ({},{}) is processed in state {} where partition {} is not resident", context,
             lhs, rhs, s, resident.count(lhs) == 0 ? lhs : rhs);
      }
      if (++seen[static_cast<size_t>(lhs) * p + rhs] > 1) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: invalid plan: bucket ({},{}) is processed twice", context, lhs, rhs);
      }
    }
  }
  for (int32_t lhs = 0; lhs < p; ++lhs) {
    for (int32_t rhs = 0; rhs < p; ++rhs) {
      if (seen[static_cast<size_t>(lhs) * p + rhs] == 0) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: invalid plan: bucket ({},{}) is never processed", context, lhs, rhs);
      }
    }
  }
}

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
