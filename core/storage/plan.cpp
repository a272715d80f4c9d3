#include "core/storage/plan.h"

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

}  // namespace marius
