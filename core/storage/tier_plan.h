// core/storage/tier_plan.h - the device tier's plan within one host buffer
// state (docs/out-of-core.md, "Three tiers").
#pragma once

#include <cstdint>

#include "core/plugin/ordering_policy.h"

namespace marius {

class CallContext;

// The ordering plugin plans the host state's m partitions (labelled 0..m-1 in
// the state's order) for `capacity` slots; the plan keeps only the host
// state's own buckets, relabelled to partition ids, and skips sub-states left
// with none, so each of the host state's buckets is in exactly one sub-state
// that holds both its partitions. With m <= capacity the plan is the host state
// itself. The result plans `num_partitions` (the dataset's p) partitions for
// `capacity` slots; it is empty when the host state has no buckets.
Plan plan_within(const OrderingPolicy& ordering, CallContext& ctx, const BufferState& host, int32_t num_partitions,
                 int32_t capacity);

}  // namespace marius
