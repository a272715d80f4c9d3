// core/data/metis_partitioning.h - node partitions that keep neighbours
// together (preprocess --partitioner metis).
//
// Out of core, a GNN samples each neighbourhood among the partitions resident
// at the time (docs/out-of-core.md), and a random partitioning leaves about c/p
// of every neighbourhood resident. METIS's k-way partitioning (Karypis and
// Kumar; Debian's libmetis) groups the graph's communities into the same
// partition instead, as DistDGL partitions graphs for its trainers. The
// partitions must have NodePartitioning's exact sizes, floor((k+1)n/p) -
// floor(kn/p), so the nodes METIS puts above a partition's size move to a
// partition below its size, those with the fewest neighbours in their own
// partition first, each to the one holding most of its neighbours.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace marius {

struct MetisPartitioning {
  std::vector<int64_t> new_id;      // new_id[old]: a permutation of 0..n-1
  int64_t edges = 0;                // distinct undirected edges partitioned (self-loops left out)
  int64_t internal_edges = 0;       // of those, with both ends in one partition (after balancing)
  int64_t moved = 0;                // nodes moved to meet the exact sizes

  double internal_fraction() const { return edges == 0 ? 1.0 : static_cast<double>(internal_edges) / edges; }
};

// Calls `visit(head, tail)` for every edge of a graph of dense ids in [0, n).
using EdgeSource = std::function<void(const std::function<void(int64_t, int64_t)>& visit)>;

// Partitions the undirected graph of `edges` (read twice; direction, repeats
// and self-loops ignored) into p parts with METIS, seeded by `seed`, balances
// them to NodePartitioning(n, p)'s sizes and numbers partition k's nodes
// [floor(kn/p), floor((k+1)n/p)) in a random order drawn from `seed`. Needs
// 1 < p <= n. Throws Error(INVALID_ARGUMENT) naming --partitioner when n or
// twice the edges exceed METIS's 32-bit indices, Error(OUT_OF_MEMORY) when
// METIS runs out of memory, Error(INTERNAL) on any other METIS failure.
MetisPartitioning metis_partitioning(int64_t num_nodes, int64_t partitions, const EdgeSource& edges, uint64_t seed);

}  // namespace marius
