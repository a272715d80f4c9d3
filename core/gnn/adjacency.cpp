#include "core/gnn/adjacency.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "core/data/adjacency_index.h"
#include "core/error.h"
#include "core/logging.h"

namespace marius {

const char* direction_name(Direction d) {
  return d == Direction::kIncoming ? "incoming" : d == Direction::kOutgoing ? "outgoing" : "both";
}

Adjacency Adjacency::build(const at::Tensor& edges, int64_t num_nodes, int64_t num_relations, bool has_relations,
                           Direction direction) {
  at::Tensor e = edges.to(at::kLong).contiguous();
  const int64_t m = e.size(0);
  const int64_t* data = e.data_ptr<int64_t>();
  const bool in = direction != Direction::kOutgoing, out = direction != Direction::kIncoming;
  const int64_t inverse_shift = direction == Direction::kBoth && has_relations ? num_relations : 0;
  // Counting pass, then a fill pass: (row, neighbour, type) for each direction taken.
  std::vector<int64_t> offsets(static_cast<size_t>(num_nodes) + 1, 0);
  for (int64_t i = 0; i < m; ++i) {
    const int64_t h = data[3 * i], t = data[3 * i + 2];
    if (h < 0 || h >= num_nodes || t < 0 || t >= num_nodes) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "adjacency: edge {} ({} -> {}) names a node outside [0, {})", i, h, t, num_nodes);
    }
    if (in) ++offsets[static_cast<size_t>(t) + 1];
    if (out) ++offsets[static_cast<size_t>(h) + 1];
  }
  for (int64_t v = 0; v < num_nodes; ++v) offsets[v + 1] += offsets[v];
  std::vector<std::pair<int64_t, int64_t>> pairs(static_cast<size_t>(offsets.back()));
  std::vector<int64_t> fill(offsets.begin(), offsets.end() - 1);
  for (int64_t i = 0; i < m; ++i) {
    const int64_t h = data[3 * i], r = has_relations ? data[3 * i + 1] : 0, t = data[3 * i + 2];
    if (in) pairs[fill[t]++] = {h, r};
    if (out) pairs[fill[h]++] = {t, r + inverse_shift};
  }
  // Sort and deduplicate each row in place, compacting as we go.
  std::vector<int64_t> final_offsets(static_cast<size_t>(num_nodes) + 1, 0);
  int64_t write = 0;
  for (int64_t v = 0; v < num_nodes; ++v) {
    auto begin = pairs.begin() + offsets[v], end = pairs.begin() + offsets[v + 1];
    std::sort(begin, end);
    auto last = std::unique(begin, end);
    for (auto it = begin; it != last; ++it) pairs[write++] = *it;
    final_offsets[v + 1] = write;
  }
  Adjacency a;
  a.num_relations = has_relations ? num_relations * (inverse_shift > 0 ? 2 : 1) : 1;
  a.offsets = at::tensor(final_offsets, at::kLong);
  a.neighbors = at::empty({write}, at::kLong);
  a.relations = at::empty({write}, at::kLong);
  int64_t* n = a.neighbors.data_ptr<int64_t>();
  int64_t* r = a.relations.data_ptr<int64_t>();
  for (int64_t i = 0; i < write; ++i) n[i] = pairs[i].first, r[i] = pairs[i].second;
  a.degrees = (a.offsets.slice(0, 1) - a.offsets.slice(0, 0, -1)).to(at::kFloat);
  return a;
}

Adjacency Adjacency::load(const Dataset& dataset, Direction direction) {
  const DatasetInfo& info = dataset.info();
  if (!has_adjacency_index(dataset)) {
    logger().info("dataset {} has no adjacency index (written before marius had one, or generated); building it "
                  "from the training edges", dataset.dir().string());
    return build(dataset.edges(Split::kTrain), info.num_nodes, info.num_relations, info.has_relations, direction);
  }
  Adjacency a;
  const int64_t shift = direction == Direction::kBoth && info.has_relations ? info.num_relations : 0;
  a.num_relations = edge_types(info, direction);
  if (direction != Direction::kBoth) {
    AdjacencyRows rows = read_adjacency_index(dataset, direction == Direction::kIncoming ? AdjacencySide::kIn
                                                                                          : AdjacencySide::kOut);
    a.offsets = rows.offsets;
    a.neighbors = rows.neighbors;
    a.relations = info.has_relations ? rows.relations : at::zeros_like(rows.relations);
  } else {  // merge row v of both sides: (u, r) incoming and (w, r + shift) outgoing, sorted, repeats once
    AdjacencyRows in = read_adjacency_index(dataset, AdjacencySide::kIn);
    AdjacencyRows out = read_adjacency_index(dataset, AdjacencySide::kOut);
    const int64_t n = info.num_nodes;
    const int64_t *io = in.offsets.data_ptr<int64_t>(), *oo = out.offsets.data_ptr<int64_t>();
    const int64_t *in_n = in.neighbors.data_ptr<int64_t>(), *in_r = in.relations.data_ptr<int64_t>();
    const int64_t *out_n = out.neighbors.data_ptr<int64_t>(), *out_r = out.relations.data_ptr<int64_t>();
    a.offsets = at::empty({n + 1}, at::kLong);
    a.neighbors = at::empty({in.neighbors.size(0) + out.neighbors.size(0)}, at::kLong);
    a.relations = at::empty_like(a.neighbors);
    int64_t* offsets = a.offsets.data_ptr<int64_t>();
    int64_t* neighbors = a.neighbors.data_ptr<int64_t>();
    int64_t* relations = a.relations.data_ptr<int64_t>();
    const bool typed = info.has_relations;
    int64_t write = 0;
    offsets[0] = 0;
    for (int64_t v = 0; v < n; ++v) {
      int64_t i = io[v], j = oo[v];
      auto emit = [&](int64_t nb, int64_t rel) {
        if (write > offsets[v] && neighbors[write - 1] == nb && relations[write - 1] == rel) return;
        neighbors[write] = nb, relations[write] = rel, ++write;
      };
      while (i < io[v + 1] || j < oo[v + 1]) {
        const bool take_in = j >= oo[v + 1] ||
                             (i < io[v + 1] && std::make_pair(in_n[i], typed ? in_r[i] : 0) <=
                                                   std::make_pair(out_n[j], typed ? out_r[j] + shift : 0));
        if (take_in) {
          emit(in_n[i], typed ? in_r[i] : 0), ++i;
        } else {
          emit(out_n[j], typed ? out_r[j] + shift : 0), ++j;
        }
      }
      offsets[v + 1] = write;
    }
    a.neighbors = a.neighbors.slice(0, 0, write).clone();
    a.relations = a.relations.slice(0, 0, write).clone();
  }
  a.degrees = (a.offsets.slice(0, 1) - a.offsets.slice(0, 0, -1)).to(at::kFloat);
  return a;
}

int64_t Adjacency::edge_types(const DatasetInfo& info, Direction direction) {
  return info.has_relations ? info.num_relations * (direction == Direction::kBoth ? 2 : 1) : 1;
}

}  // namespace marius
