#include "core/storage/tier_plan.h"

#include <set>
#include <utility>

#include "core/error.h"
#include "core/plugin/host_services.h"

namespace marius {

Plan plan_within(const OrderingPolicy& ordering, CallContext& ctx, const BufferState& host, int32_t num_partitions,
                 int32_t capacity) {
  const int32_t m = static_cast<int32_t>(host.partitions.size());
  Plan plan;
  plan.num_partitions = num_partitions;
  plan.buffer_capacity = capacity;
  if (host.buckets.empty()) return plan;
  if (m <= capacity) {
    plan.states.push_back(host);
    return plan;
  }
  const Plan local = ordering.plan(ctx, m, capacity);  // validated
  const std::set<std::pair<int32_t, int32_t>> wanted(host.buckets.begin(), host.buckets.end());
  size_t kept = 0;
  for (const BufferState& ls : local.states) {
    BufferState state;
    for (int32_t l : ls.partitions) state.partitions.push_back(host.partitions[static_cast<size_t>(l)]);
    for (auto [i, j] : ls.buckets) {
      std::pair<int32_t, int32_t> bucket{host.partitions[static_cast<size_t>(i)], host.partitions[static_cast<size_t>(j)]};
      if (wanted.count(bucket) != 0) state.buckets.push_back(bucket);
    }
    kept += state.buckets.size();
    if (!state.buckets.empty()) plan.states.push_back(std::move(state));
  }
  if (kept != host.buckets.size()) {  // a host state's buckets lie within its partitions: cannot happen
    fail(MARIUS_ERR_INTERNAL, "device tier: the plan within a host state covers {} of its {} buckets", kept,
         host.buckets.size());
  }
  return plan;
}

}  // namespace marius
