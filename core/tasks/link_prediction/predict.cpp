#include "core/tasks/link_prediction/predict.h"

#include <limits>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/model/score_calls.h"

namespace marius {

std::vector<RankedNode> predict_ids(const Model& model, const NodeRows& node_rows, const ScoreFunction& score,
                                    int64_t a, int64_t r, int64_t k, bool predict_heads) {
  if (a < 0 || a >= model.num_nodes) {
    fail(MARIUS_ERR_OUT_OF_RANGE, "predict: node {} is outside [0, {})", a, model.num_nodes);
  }
  if (r < 0 || r >= model.num_relations) {
    fail(MARIUS_ERR_OUT_OF_RANGE, "predict: relation {} is outside [0, {})", r, model.num_relations);
  }
  if (k < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "predict: k must be at least 1, got {}", k);
  if (predict_heads && model.inverse_relations) {  // heads of (?, r, t) = tails of (t, r^-1, ?)
    r += model.num_relations;
    predict_heads = false;
  }
  at::Tensor anchors = node_rows.gather(at::tensor({a}, at::kLong)).unsqueeze(0);
  at::Tensor rel = model.relations.index_select(0, at::tensor({r}, at::kLong)).unsqueeze(0);
  CallContext ctx(score.label());
  // The best k of each block, then the best k of those.
  std::vector<at::Tensor> best_values, best_indices;
  for (int32_t b = 0; b < node_rows.num_blocks(); ++b) {
    at::Tensor all = node_rows.block(b).unsqueeze(0);
    at::Tensor out = at::empty({1, 1, all.size(1)}, at::kFloat);
    if (predict_heads) {
      score_forward(score, ctx, MARIUS_SCORE_CORRUPT_LHS, all, rel, anchors, out);
    } else {
      score_forward(score, ctx, MARIUS_SCORE_CORRUPT_RHS, anchors, rel, all, out);
    }
    // A score that is not finite is never a best one (topk would rank NaN first).
    at::Tensor flat = out.view({-1});
    flat.masked_fill_(flat.isnan(), -std::numeric_limits<float>::infinity());
    auto [v, i] = flat.topk(std::min<int64_t>(k, all.size(1)));
    best_values.push_back(v);
    best_indices.push_back(i + node_rows.begin(b));
  }
  at::Tensor candidates = at::cat(best_values), candidate_ids = at::cat(best_indices);
  auto [values, order] = candidates.topk(std::min<int64_t>(k, candidates.size(0)));
  at::Tensor indices = candidate_ids.index_select(0, order).contiguous();
  at::Tensor scores = values.to(at::kDouble).contiguous();
  std::vector<RankedNode> result;
  for (int64_t i = 0; i < indices.size(0); ++i) {
    result.push_back({indices.data_ptr<int64_t>()[i], scores.data_ptr<double>()[i]});
  }
  return result;
}

std::vector<Prediction> predict(const Model& model, const NodeRows& node_rows, const Dataset& dataset,
                                const ScoreFunction& score, const std::string& anchor, const std::string& relation, int64_t k, bool predict_heads) {
  std::vector<std::string> nodes = dataset.node_names(), relations = dataset.relation_names();
  auto find = [](const std::vector<std::string>& names, const std::string& id, const char* what) -> int64_t {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == id) return static_cast<int64_t>(i);
    }
    fail(MARIUS_ERR_NOT_FOUND, "predict: unknown {} id '{}'", what, id);
  };
  int64_t a = find(nodes, anchor, "node");
  int64_t r = dataset.info().has_relations ? find(relations, relation, "relation") : 0;
  std::vector<Prediction> result;
  for (const RankedNode& n : predict_ids(model, node_rows, score, a, r, k, predict_heads)) {
    result.push_back({nodes[static_cast<size_t>(n.node)], n.score});
  }
  return result;
}

}  // namespace marius
