// core/capi/query_api.cpp - what a trained session answers about one node
// through the C embedding API: its likeliest links (marius_session_predict,
// link prediction), its likeliest classes (marius_session_classify, node
// classification) and its nearest nodes in embedding space (marius_session_similar).
#include <algorithm>

#include <ATen/ATen.h>

#include "core/capi/guard.h"
#include "core/capi/handle.h"
#include "core/model/nearest_nodes.h"
#include "core/tasks/link_prediction/predict.h"

using namespace marius;
using namespace marius::capi;

MARIUS_EXTERN_C marius_status marius_session_predict(marius_session* session, marius_predict_args* args) {
  static const char* const call = "marius_session_predict";
  return guard(call, session, [&] {
    marius_session& h = checked(session, call);
    require(args, call, "args");
    require_size(args->struct_size, MARIUS_PREDICT_ARGS_SIZE_1_0, call, "marius_predict_args");
    require(args->node, call, "args->node");
    require(args->out_nodes, call, "args->out_nodes");
    if (args->k < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: k must be at least 1, got {}", call, args->k);
    if (args->direction != MARIUS_PREDICT_TAILS && args->direction != MARIUS_PREDICT_HEADS) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: direction {} is neither MARIUS_PREDICT_TAILS (0) nor _HEADS (1)", call,
           args->direction);
    }
    auto lock = h.lock(call);
    Session& s = h.link_prediction(call, "ranks no links (use marius_session_classify)");
    const int64_t node = h.node_row(args->node, call);
    int64_t relation = 0;
    const bool named = args->relation != nullptr && args->relation[0] != '\0';
    if (s.dataset().info().has_relations || named) {
      if (!named) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the dataset has relations; name one", call);
      const Names& relations = h.names(MARIUS_TABLE_RELATIONS, call);
      auto it = relations.rows.find(args->relation);
      if (it == relations.rows.end() || it->second >= s.model().num_relations) {
        fail(MARIUS_ERR_NOT_FOUND, "{}: unknown relation id '{}'", call, args->relation);
      }
      relation = it->second;
    }
    const Session::ScoredTables scored = s.scored_tables();  // with an encoder: its output of every node
    std::vector<RankedNode> best = predict_ids(*scored.model, *scored.rows, s.score(), node, relation, args->k,
                                               args->direction == MARIUS_PREDICT_HEADS);
    for (size_t i = 0; i < best.size(); ++i) {
      args->out_nodes[i] = best[i].node;
      if (args->out_scores != nullptr) args->out_scores[i] = best[i].score;
    }
    args->out_count = static_cast<int64_t>(best.size());
  });
}

MARIUS_EXTERN_C marius_status marius_session_classify(marius_session* session, marius_classify_args* args) {
  static const char* const call = "marius_session_classify";
  return guard(call, session, [&] {
    marius_session& h = checked(session, call);
    require(args, call, "args");
    require_size(args->struct_size, MARIUS_CLASSIFY_ARGS_SIZE_1_1, call, "marius_classify_args");
    require(args->node, call, "args->node");
    require(args->out_classes, call, "args->out_classes");
    if (args->k < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: k must be at least 1, got {}", call, args->k);
    auto lock = h.lock(call);
    NodeClassificationSession& nc = h.node_classification(call);
    const int64_t node = h.node_row(args->node, call);
    at::Tensor p = nc.probabilities(at::tensor({node}, at::kLong))[0];
    auto [values, classes] = p.topk(std::min<int64_t>(args->k, p.size(0)));
    for (int64_t i = 0; i < values.size(0); ++i) {
      args->out_classes[i] = classes[i].item<int64_t>();
      if (args->out_probabilities != nullptr) args->out_probabilities[i] = values[i].item<double>();
    }
    args->out_count = values.size(0);
  });
}

MARIUS_EXTERN_C marius_status marius_session_similar(marius_session* session, marius_similar_args* args) {
  static const char* const call = "marius_session_similar";
  return guard(call, session, [&] {
    marius_session& h = checked(session, call);
    require(args, call, "args");
    require_size(args->struct_size, MARIUS_SIMILAR_ARGS_SIZE_1_2, call, "marius_similar_args");
    require(args->node, call, "args->node");
    require(args->out_nodes, call, "args->out_nodes");
    if (args->k < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: k must be at least 1, got {}", call, args->k);
    static const char* const metrics[] = {"cosine", "dot", "l2"};
    if (args->metric > MARIUS_SIMILAR_L2) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: metric {} is not MARIUS_SIMILAR_COSINE (0), _DOT (1) or _L2 (2)", call,
           args->metric);
    }
    auto lock = h.lock(call);
    Session& s = h.link_prediction(call, "searches link prediction's node embeddings only");
    const int64_t node = h.node_row(args->node, call);
    const uint32_t comparator = similarity_metric(metrics[args->metric]);
    const Session::ScoredTables scored = s.scored_tables();  // with an encoder: its output of every node
    std::vector<NearNode> near = nearest_nodes(*scored.rows, node, args->k, comparator);
    for (size_t i = 0; i < near.size(); ++i) {
      args->out_nodes[i] = near[i].node;
      if (args->out_values != nullptr) {
        args->out_values[i] = args->metric == MARIUS_SIMILAR_L2 ? -near[i].similarity : near[i].similarity;
      }
    }
    args->out_count = static_cast<int64_t>(near.size());
  });
}
