// core/storage/plan_analysis.h - what one epoch's plan of an ordering policy
// implies: each state's admitted and evicted partitions, the swaps against the
// lower bound, the partitions and bytes read and written, and, with a device
// tier, its sub-states and traffic (docs/ordering.md, "marius-run plan", which
// prints it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/config/value.h"  // OptionInputs
#include "core/storage/plan.h"

namespace marius {

class PluginRegistry;

// The fewest swaps any plan for p partitions and a buffer of c can make:
// ceil((p(p-1)/2 - c(c-1)/2) / (c-1)), and 0 when c >= p. Each swap admits one
// partition, which meets at most c-1 others; the first state covers c(c-1)/2 of the
// p(p-1)/2 pairs. Requires 2 <= c, or c >= p.
int64_t swap_lower_bound(int32_t p, int32_t c);

// What to plan. The shape must be one a policy can plan: 1 <= buffer <=
// partitions, buffer >= 2 when partitions >= 2, device 0 or >= 2, and
// partition_bytes >= 1 when given.
struct PlanRequest {
  std::string ordering;  // a plugin name or a manifest path
  OptionInputs options;  // the policy's options
  int32_t partitions = 0;
  int32_t buffer = 0;
  uint64_t seed = 0;                        // of the random stream the policy draws from
  int32_t device = 0;                       // a device tier of this many partitions above the buffer (0: none)
  std::optional<uint64_t> partition_bytes;  // bytes per partition: also count bytes
};

// What one state changes: the partitions it loads and those the state before held
// and it no longer does (state 0 loads all of its partitions). With a device tier,
// also that tier's sub-states within the state and the partitions it moves up (each
// one is written back before the state ends).
struct StateTraffic {
  std::vector<int32_t> admitted;
  std::vector<int32_t> evicted;
  uint64_t device_states = 0;
  uint64_t device_partitions = 0;
};

// The device tier's totals over the epoch: every partition moved up is read from
// the buffer and written back, so read and written are equal.
struct DeviceTraffic {
  int32_t capacity = 0;
  uint64_t states = 0;
  uint64_t partitions = 0;
  std::optional<uint64_t> bytes;  // each way, with partition_bytes
};

struct PlanAnalysis {
  std::string ordering;            // the manifest's name
  std::filesystem::path manifest;  // its file
  uint64_t seed = 0;
  Plan plan;                        // validated
  std::vector<StateTraffic> states;  // by state of plan
  int64_t swaps = 0;
  int64_t lower_bound = 0;
  // Every admitted partition is read, every evicted one written back, and the
  // last state's written at the end.
  uint64_t partitions_read = 0;
  uint64_t partitions_written = 0;
  std::optional<uint64_t> partition_bytes, bytes_read, bytes_written;  // with partition_bytes
  std::optional<DeviceTraffic> device;                                 // with a device tier
};

// Loads the ordering policy through `registry` (a name or a manifest path), asks
// it for one epoch's plan (validated), and analyses it; with a device tier, plans
// each state for it as training does (plan_within, tier_plan.h). Throws Error
// from the registry or the plugin, and OUT_OF_RANGE when a byte count overflows
// 64 bits.
PlanAnalysis analyse_plan(PluginRegistry& registry, const PlanRequest& request);

}  // namespace marius
