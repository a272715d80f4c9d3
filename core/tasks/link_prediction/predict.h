// core/tasks/link_prediction/predict.h - top-k link prediction: the best
// tails of (head, relation, ?) or heads of (?, relation, tail) over all nodes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/model/model.h"
#include "core/model/node_rows.h"
#include "core/plugin/score_function.h"

namespace marius {

struct RankedNode {
  int64_t node;  // dense id
  double score;
};

// The k best tails of (anchor, relation, ?) — or heads of (?, relation, anchor)
// when `predict_heads` — over all nodes, best first, by dense ids: 0 <= anchor <
// num_nodes, 0 <= relation < num_relations (0 for plain graphs); anything else
// is Error(OUT_OF_RANGE). A NaN score ranks below every other. predict() below
// is this keyed by original ids.
std::vector<RankedNode> predict_ids(const Model& model, const NodeRows& nodes, const ScoreFunction& score,
                                    int64_t anchor, int64_t relation, int64_t k, bool predict_heads);

struct Prediction {
  std::string id;  // original id of the predicted node
  double score;
};

// The k best tails of (head, relation, ?) — or heads of (?, relation, tail) when
// `predict_heads` — over all nodes, best first. `anchor` and `relation` are
// original ids; an unknown id is Error(NOT_FOUND) naming it.
std::vector<Prediction> predict(const Model& model, const NodeRows& nodes, const Dataset& dataset,
                                const ScoreFunction& score,
                                const std::string& anchor, const std::string& relation, int64_t k, bool predict_heads);

}  // namespace marius
