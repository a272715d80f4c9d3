// core/data/metis_partitioning.cpp - see metis_partitioning.h.
#include "core/data/metis_partitioning.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include <metis.h>

#include "core/data/partitioning.h"
#include "core/data/seeded_random.h"
#include "core/error.h"

namespace marius {
namespace {

constexpr int64_t kMetisLimit = std::numeric_limits<idx_t>::max();

// The graph as METIS reads it: symmetric CSR rows, sorted, no repeats or self-loops.
struct Csr {
  std::vector<idx_t> offsets, neighbours;
};

Csr symmetric_csr(int64_t n, const EdgeSource& edges) {
  std::vector<int64_t> count(static_cast<size_t>(n) + 1, 0);
  edges([&](int64_t h, int64_t t) {
    if (h != t) ++count[static_cast<size_t>(h) + 1], ++count[static_cast<size_t>(t) + 1];
  });
  for (size_t v = 1; v < count.size(); ++v) count[v] += count[v - 1];
  if (count.back() > kMetisLimit) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "--partitioner metis: {} adjacency entries (twice the edges) exceed METIS's 32-bit indices; use "
         "--partitioner random", count.back());
  }
  Csr g;
  g.neighbours.resize(static_cast<size_t>(count.back()));
  std::vector<int64_t> fill(count.begin(), count.end() - 1);
  edges([&](int64_t h, int64_t t) {
    if (h == t) return;
    g.neighbours[static_cast<size_t>(fill[static_cast<size_t>(h)]++)] = static_cast<idx_t>(t);
    g.neighbours[static_cast<size_t>(fill[static_cast<size_t>(t)]++)] = static_cast<idx_t>(h);
  });
  // Sort each row and drop repeats, compacting in place.
  g.offsets.assign(static_cast<size_t>(n) + 1, 0);
  size_t out = 0;
  for (int64_t v = 0; v < n; ++v) {
    auto first = g.neighbours.begin() + count[static_cast<size_t>(v)];
    auto last = g.neighbours.begin() + count[static_cast<size_t>(v) + 1];
    std::sort(first, last);
    last = std::unique(first, last);
    for (auto it = first; it != last; ++it) g.neighbours[out++] = *it;
    g.offsets[static_cast<size_t>(v) + 1] = static_cast<idx_t>(out);
  }
  g.neighbours.resize(out);
  g.neighbours.shrink_to_fit();
  return g;
}

std::vector<idx_t> run_metis(const Csr& g, int64_t n, int64_t p, uint64_t seed) {
  idx_t nodes = static_cast<idx_t>(n), constraints = 1, parts = static_cast<idx_t>(p), cut = 0;
  idx_t options[METIS_NOPTIONS];
  METIS_SetDefaultOptions(options);
  options[METIS_OPTION_SEED] = static_cast<idx_t>(seed & 0x7fffffff);
  options[METIS_OPTION_NUMBERING] = 0;
  std::vector<idx_t> part(static_cast<size_t>(n), 0);
  if (g.neighbours.empty()) return part;  // no edges: every node alone; balancing spreads them
  const int status = METIS_PartGraphKway(&nodes, &constraints, const_cast<idx_t*>(g.offsets.data()),
                                         const_cast<idx_t*>(g.neighbours.data()), nullptr, nullptr, nullptr, &parts,
                                         nullptr, nullptr, options, &cut, part.data());
  if (status == METIS_ERROR_MEMORY) fail(MARIUS_ERR_OUT_OF_MEMORY, "--partitioner metis: METIS ran out of memory");
  if (status != METIS_OK) fail(MARIUS_ERR_INTERNAL, "--partitioner metis: METIS_PartGraphKway failed ({})", status);
  return part;
}

}  // namespace

MetisPartitioning metis_partitioning(int64_t num_nodes, int64_t partitions, const EdgeSource& edges, uint64_t seed) {
  if (partitions < 2 || partitions > num_nodes) {
    fail(MARIUS_ERR_INTERNAL, "metis_partitioning: {} partitions of {} nodes", partitions, num_nodes);
  }
  if (num_nodes > kMetisLimit) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--partitioner metis: {} nodes exceed METIS's 32-bit indices; use --partitioner random",
         num_nodes);
  }
  const Csr g = symmetric_csr(num_nodes, edges);
  std::vector<idx_t> part = run_metis(g, num_nodes, partitions, seed);

  // Balance to the exact sizes.
  const NodePartitioning target(num_nodes, partitions);
  std::vector<int64_t> size(static_cast<size_t>(partitions), 0);
  for (idx_t k : part) ++size[static_cast<size_t>(k)];
  auto room = [&](int64_t k) { return target.offset(k + 1) - target.offset(k) - size[static_cast<size_t>(k)]; };
  auto neighbours_in = [&](int64_t v, int64_t k) {
    int64_t n = 0;
    for (idx_t e = g.offsets[static_cast<size_t>(v)]; e < g.offsets[static_cast<size_t>(v) + 1]; ++e) {
      n += part[static_cast<size_t>(g.neighbours[static_cast<size_t>(e)])] == k ? 1 : 0;
    }
    return n;
  };
  SeededRandom random(seed ^ 0x6d65746973ULL);
  MetisPartitioning result;
  for (int64_t k = 0; k < partitions; ++k) {
    if (room(k) >= 0) continue;
    // The nodes of k, least attached to k first (ties in a random order).
    std::vector<int64_t> members;
    for (int64_t v = 0; v < num_nodes; ++v) {
      if (part[static_cast<size_t>(v)] == k) members.push_back(v);
    }
    random.shuffle(members);
    std::vector<std::pair<int64_t, int64_t>> order;  // (neighbours in k, v)
    order.reserve(members.size());
    for (int64_t v : members) order.emplace_back(neighbours_in(v, k), v);
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; room(k) < 0; ++i) {
      const int64_t v = order[i].second;
      int64_t best = -1, best_count = -1;
      for (int64_t q = 0; q < partitions; ++q) {
        if (q == k || room(q) <= 0) continue;
        const int64_t c = neighbours_in(v, q);
        if (c > best_count || (c == best_count && room(q) > room(best))) best = q, best_count = c;
      }
      --size[static_cast<size_t>(k)], ++size[static_cast<size_t>(best)];
      part[static_cast<size_t>(v)] = static_cast<idx_t>(best);
      ++result.moved;
    }
  }

  // Number partition k's nodes [offset(k), offset(k+1)) in a random order.
  std::vector<std::vector<int64_t>> members(static_cast<size_t>(partitions));
  for (int64_t v = 0; v < num_nodes; ++v) members[static_cast<size_t>(part[static_cast<size_t>(v)])].push_back(v);
  result.new_id.assign(static_cast<size_t>(num_nodes), -1);
  for (int64_t k = 0; k < partitions; ++k) {
    std::vector<int64_t>& m = members[static_cast<size_t>(k)];
    if (static_cast<int64_t>(m.size()) != target.offset(k + 1) - target.offset(k)) {
      fail(MARIUS_ERR_INTERNAL, "metis_partitioning: partition {} holds {} nodes after balancing", k, m.size());
    }
    random.shuffle(m);
    for (size_t i = 0; i < m.size(); ++i) result.new_id[static_cast<size_t>(m[i])] = target.offset(k) + static_cast<int64_t>(i);
  }
  for (int64_t v = 0; v < num_nodes; ++v) {
    for (idx_t e = g.offsets[static_cast<size_t>(v)]; e < g.offsets[static_cast<size_t>(v) + 1]; ++e) {
      const idx_t u = g.neighbours[static_cast<size_t>(e)];
      if (u <= v) continue;  // each undirected edge once
      ++result.edges;
      result.internal_edges += part[static_cast<size_t>(u)] == part[static_cast<size_t>(v)] ? 1 : 0;
    }
  }
  return result;
}

}  // namespace marius
