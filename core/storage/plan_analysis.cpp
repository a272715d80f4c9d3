#include "core/storage/plan_analysis.h"

#include <algorithm>

#include "core/error.h"
#include "core/plugin/host_services.h"
#include "core/plugin/ordering_policy.h"
#include "core/plugin/registry.h"
#include "core/storage/tier_plan.h"

namespace marius {

namespace {

bool holds(const std::vector<int32_t>& partitions, int32_t q) {
  return std::find(partitions.begin(), partitions.end(), q) != partitions.end();
}

std::vector<StateTraffic> transitions(const Plan& plan) {
  std::vector<StateTraffic> out;
  const std::vector<int32_t> none;
  for (size_t s = 0; s < plan.states.size(); ++s) {
    const std::vector<int32_t>& now = plan.states[s].partitions;
    const std::vector<int32_t>& before = s == 0 ? none : plan.states[s - 1].partitions;
    StateTraffic t;
    for (int32_t q : now) {
      if (!holds(before, q)) t.admitted.push_back(q);
    }
    for (int32_t q : before) {
      if (!holds(now, q)) t.evicted.push_back(q);
    }
    out.push_back(std::move(t));
  }
  return out;
}

uint64_t times_bytes(uint64_t partitions, uint64_t partition_bytes, const char* what) {
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(partitions, partition_bytes, &bytes)) {
    fail(MARIUS_ERR_OUT_OF_RANGE, "partition bytes {}: {} {} partitions overflows 64 bits", partition_bytes, what,
         partitions);
  }
  return bytes;
}

// The device tier's sub-states within each state of `a.plan`, into a.states and a.device.
void add_device_traffic(PlanAnalysis& a, const OrderingPolicy& policy, CallContext& ctx, int32_t capacity) {
  DeviceTraffic total;
  total.capacity = capacity;
  for (size_t s = 0; s < a.plan.states.size(); ++s) {
    const Plan sub = plan_within(policy, ctx, a.plan.states[s], a.plan.num_partitions, capacity);
    uint64_t moved = 0;
    if (!sub.states.empty()) moved = sub.states.front().partitions.size() + static_cast<uint64_t>(sub.swaps());
    a.states[s].device_states = sub.states.size();
    a.states[s].device_partitions = moved;
    total.states += sub.states.size();
    total.partitions += moved;
  }
  if (a.partition_bytes) total.bytes = times_bytes(total.partitions, *a.partition_bytes, "moving");
  a.device = total;
}

}  // namespace

int64_t swap_lower_bound(int32_t p, int32_t c) {
  if (c >= p) return 0;
  const int64_t pairs = static_cast<int64_t>(p) * (p - 1) / 2 - static_cast<int64_t>(c) * (c - 1) / 2;
  return (pairs + c - 2) / (c - 1);
}

PlanAnalysis analyse_plan(PluginRegistry& registry, const PlanRequest& request) {
  const Manifest& manifest = registry.find(request.ordering, MARIUS_KIND_ORDERING_POLICY);
  OrderingPolicy policy(registry.load(manifest), request.options);
  RandomStream stream(request.seed);
  CallContext ctx(policy.label(), stream.get());

  PlanAnalysis a;
  a.ordering = manifest.name;
  a.manifest = manifest.file;
  a.seed = request.seed;
  a.plan = policy.plan(ctx, request.partitions, request.buffer);  // validated
  a.states = transitions(a.plan);
  a.swaps = a.plan.swaps();
  a.lower_bound = swap_lower_bound(a.plan.num_partitions, a.plan.buffer_capacity);
  for (const StateTraffic& t : a.states) {
    a.partitions_read += t.admitted.size();
    a.partitions_written += t.evicted.size();
  }
  a.partitions_written += a.plan.states.back().partitions.size();
  if (request.partition_bytes) {
    a.partition_bytes = *request.partition_bytes;
    a.bytes_read = times_bytes(a.partitions_read, *a.partition_bytes, "reading");
    a.bytes_written = times_bytes(a.partitions_written, *a.partition_bytes, "writing");
  }
  if (request.device > 0) add_device_traffic(a, policy, ctx, request.device);
  return a;
}

}  // namespace marius
