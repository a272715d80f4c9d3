// core/storage/plan.h - one epoch's schedule of partition buffer states, as an
// ordering policy plans it (core/plugin/ordering_policy.h) and the partition
// buffer and the trainer follow it (docs/ordering.md).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace marius {

// One buffer state: the partitions resident, and the buckets (head partition,
// tail partition) processed while it holds.
struct BufferState {
  std::vector<int32_t> partitions;
  std::vector<std::pair<int32_t, int32_t>> buckets;
};

// One epoch's schedule: buffer states in order.
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

}  // namespace marius
