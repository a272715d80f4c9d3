#include "core/model/nearest_nodes.h"

#include <algorithm>
#include <limits>

#include <ATen/ATen.h>

#include "core/error.h"
#include "marius/sdk/comparators.hpp"

namespace marius {

uint32_t similarity_metric(const std::string& name) {
  if (name == "dot") return MARIUS_COMPARATOR_DOT;
  if (name == "cosine") return MARIUS_COMPARATOR_COSINE;
  if (name == "l2") return MARIUS_COMPARATOR_L2;
  fail(MARIUS_ERR_INVALID_ARGUMENT, "similarity metric '{}': use cosine, dot or l2", name);
}

std::vector<std::vector<NearNode>> nearest_nodes(const NodeRows& rows, const std::vector<int64_t>& nodes, int64_t k,
                                                 uint32_t comparator) {
  for (int64_t node : nodes) {
    if (node < 0 || node >= rows.num_nodes()) {
      fail(MARIUS_ERR_OUT_OF_RANGE, "similar: node {} is outside [0, {})", node, rows.num_nodes());
    }
  }
  if (k < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "similar: k must be at least 1, got {}", k);
  const int64_t q = static_cast<int64_t>(nodes.size());
  if (q == 0) return {};
  at::Tensor node_ids = at::tensor(nodes, at::kLong);
  at::Tensor query = rows.gather(node_ids).unsqueeze(0);  // [1, q, D]
  const float worst = -std::numeric_limits<float>::infinity();
  std::vector<at::Tensor> best_values, best_ids;  // per block: [q, <= k + 1]
  for (int32_t b = 0; b < rows.num_blocks(); ++b) {
    at::Tensor block = rows.block(b);
    if (block.size(0) == 0) continue;
    // Queries a chunk at a time, so a chunk's similarities stay near 2^25 floats.
    const int64_t m = block.size(0), chunk = std::max<int64_t>(1, (int64_t{1} << 25) / m);
    std::vector<at::Tensor> values_of_block, ids_of_block;
    for (int64_t lo = 0; lo < q; lo += chunk) {
      const int64_t c = std::min(q, lo + chunk) - lo;
      at::Tensor sims = sdk::comparators::chunked(comparator, query.narrow(1, lo, c), block.unsqueeze(0)).view({c, m});
      sims.masked_fill_(sims.isnan(), worst);
      at::Tensor self = node_ids.narrow(0, lo, c) - rows.begin(b);  // not its own neighbour
      at::Tensor inside = (self >= 0) & (self < m);
      if (inside.any().item<bool>()) {
        at::Tensor which = inside.nonzero().view({-1});
        sims.index_put_({which, self.index_select(0, which)}, worst);
      }
      auto [v, i] = sims.topk(std::min<int64_t>(k + 1, m), 1);
      values_of_block.push_back(v);
      ids_of_block.push_back(i + rows.begin(b));
    }
    best_values.push_back(at::cat(values_of_block, 0));
    best_ids.push_back(at::cat(ids_of_block, 0));
  }
  at::Tensor values = at::cat(best_values, 1), ids = at::cat(best_ids, 1);
  // Best first, ties by id: sort by id, then stably by similarity.
  at::Tensor by_id = ids.argsort(/*dim=*/1, /*descending=*/false);
  values = values.gather(1, by_id);
  ids = ids.gather(1, by_id);
  at::Tensor order = std::get<1>(values.sort(/*stable=*/true, /*dim=*/1, /*descending=*/true));
  values = values.gather(1, order).contiguous();
  ids = ids.gather(1, order).contiguous();
  const int64_t width = ids.size(1);
  const float* vp = values.data_ptr<float>();
  const int64_t* ip = ids.data_ptr<int64_t>();
  std::vector<std::vector<NearNode>> out(static_cast<size_t>(q));
  for (int64_t r = 0; r < q; ++r) {
    for (int64_t j = 0; j < width && static_cast<int64_t>(out[r].size()) < k; ++j) {
      if (ip[r * width + j] == nodes[static_cast<size_t>(r)]) continue;
      out[r].push_back({ip[r * width + j], vp[r * width + j]});
    }
  }
  return out;
}

std::vector<NearNode> nearest_nodes(const NodeRows& rows, int64_t node, int64_t k, uint32_t comparator) {
  return nearest_nodes(rows, std::vector<int64_t>{node}, k, comparator)[0];
}

}  // namespace marius
