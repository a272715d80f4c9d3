// core/model/nearest_nodes.h - the nodes nearest to a node in embedding space.
//
// Exact search: the query row against every node, block by block through
// NodeRows (one partition in memory at a time out of core), keeping the best k
// of each block and then of those. The similarity is a comparator of
// marius/sdk/comparators.hpp: dot, cosine or (negative) L2 distance.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/node_rows.h"

namespace marius {

struct NearNode {
  int64_t node;       // dense id
  double similarity;  // larger is nearer: <a,b>, cos(a,b) or -|a-b|
};

// The comparator (MARIUS_COMPARATOR_DOT, _COSINE or _L2) named "dot", "cosine" or
// "l2"; anything else is Error(INVALID_ARGUMENT) naming the choices.
uint32_t similarity_metric(const std::string& name);

// The k nodes most similar to `node` (dense id, in [0, num_nodes), else
// Error(OUT_OF_RANGE)), the node itself left out, most similar first; ties keep
// the smaller id first. A NaN similarity ranks below every other.
std::vector<NearNode> nearest_nodes(const NodeRows& rows, int64_t node, int64_t k, uint32_t comparator);
// The same for several query nodes at once (one pass over the blocks): result i
// belongs to nodes[i].
std::vector<std::vector<NearNode>> nearest_nodes(const NodeRows& rows, const std::vector<int64_t>& nodes, int64_t k,
                                                 uint32_t comparator);

}  // namespace marius
