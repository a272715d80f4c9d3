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

std::vector<NearNode> nearest_nodes(const NodeRows& rows, int64_t node, int64_t k, uint32_t comparator) {
  if (node < 0 || node >= rows.num_nodes()) {
    fail(MARIUS_ERR_OUT_OF_RANGE, "similar: node {} is outside [0, {})", node, rows.num_nodes());
  }
  if (k < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "similar: k must be at least 1, got {}", k);
  at::Tensor query = rows.gather(at::tensor({node}, at::kLong)).view({1, 1, -1});
  const float worst = -std::numeric_limits<float>::infinity();
  std::vector<at::Tensor> best_values, best_ids;
  for (int32_t b = 0; b < rows.num_blocks(); ++b) {
    at::Tensor block = rows.block(b);
    if (block.size(0) == 0) continue;
    at::Tensor sims = sdk::comparators::chunked(comparator, query, block.unsqueeze(0)).view({-1});
    sims.masked_fill_(sims.isnan(), worst);
    const int64_t self = node - rows.begin(b);
    if (self >= 0 && self < sims.size(0)) sims[self] = worst;  // not its own neighbour
    auto [v, i] = sims.topk(std::min<int64_t>(k + 1, sims.size(0)));
    best_values.push_back(v);
    best_ids.push_back(i + rows.begin(b));
  }
  at::Tensor values = at::cat(best_values), ids = at::cat(best_ids);
  // Best first, ties by id: sort by id, then stably by similarity.
  at::Tensor by_id = ids.argsort();
  values = values.index_select(0, by_id);
  ids = ids.index_select(0, by_id);
  at::Tensor order = std::get<1>(values.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  std::vector<NearNode> out;
  for (int64_t i = 0; i < order.size(0) && static_cast<int64_t>(out.size()) < k; ++i) {
    const int64_t at_i = order[i].item<int64_t>();
    const int64_t id = ids[at_i].item<int64_t>();
    if (id == node) continue;
    out.push_back({id, values[at_i].item<double>()});
  }
  return out;
}

}  // namespace marius
