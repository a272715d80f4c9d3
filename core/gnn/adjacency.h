// core/gnn/adjacency.h - the graph as CSR rows of neighbours, the index the
// DENSE sampler (dense_sampler.h) and full-graph inference read.
//
// Row v lists v's neighbours in the chosen direction: incoming (u for every
// edge u -> v), outgoing (w for every edge v -> w) or both. Each neighbour
// carries the edge's relation; in `both`, an outgoing edge of relation r is
// the inverse type r + R on a relational graph (R relation types, so 2R types
// in all) and type 0 on a plain graph. Repeated (neighbour, type) pairs of a
// row are kept once, so an undirected edge listed in both directions of a
// plain graph counts once. A row is sorted by (neighbour, type).
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/data/dataset.h"

namespace marius {

enum class Direction { kIncoming, kOutgoing, kBoth };
const char* direction_name(Direction d);  // "incoming", "outgoing", "both"

struct Adjacency {
  at::Tensor offsets;     // int64 [N + 1]
  at::Tensor neighbors;   // int64 [E]
  at::Tensor relations;   // int64 [E]
  at::Tensor degrees;     // float32 [N]: row lengths
  int64_t num_relations = 1;  // edge types in `relations`

  int64_t num_nodes() const { return offsets.size(0) - 1; }

  // From edges int64 [E, 3] (head, relation, tail) over `num_nodes` nodes and
  // `num_relations` relation types (has_relations: false for a plain graph).
  static Adjacency build(const at::Tensor& edges, int64_t num_nodes, int64_t num_relations, bool has_relations,
                         Direction direction);

  // The same over `dataset`'s training edges, read from its adjacency index
  // (core/data/adjacency_index.h; `both` merges the two sides row by row), or
  // built from the edges when the dataset has no index (written by an older
  // marius, or by `generate --kind powerlaw`), saying so in the log.
  static Adjacency load(const Dataset& dataset, Direction direction);

  // The num_relations of an adjacency of `info`'s graph in `direction`,
  // without building it.
  static int64_t edge_types(const DatasetInfo& info, Direction direction);
};

}  // namespace marius
