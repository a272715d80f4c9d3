// core/run/node_assignment.h - out of core, which buffer state each training
// node of node classification trains in.
//
// Node examples need each partition resident once, not every pair of
// partitions together: the states that train are a greedy cover of the
// partitions taken from the epoch's plan (the state holding the most
// partitions not yet covered, ties broken at random), and each training node
// trains in one of the covering states holding its partition, drawn at random.
// The other states train nothing and read nothing. A state samples
// neighbourhoods among its resident partitions only; how much of a node's
// neighbourhood that is depends on the partitioning (preprocess --partitioner),
// not on which covering state it draws.
//
// Every draw is a pure function of (draw, state) or (draw, node), so an epoch
// started from a checkpoint assigns what the uninterrupted run assigned.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/storage/plan.h"

namespace marius {

class Dataset;

// For each of `states` (an epoch's states, in order), the nodes of `nodes`
// (int64 [n]) that train in it, in the order of `nodes`; empty for the states
// outside the cover. `draw`: the epoch's random draw. Throws Error(INTERNAL)
// when the states never hold some partition of `dataset`.
std::vector<std::vector<int64_t>> assign_training_nodes(const std::vector<const BufferState*>& states,
                                                        const at::Tensor& nodes, const Dataset& dataset, uint64_t draw);

}  // namespace marius
