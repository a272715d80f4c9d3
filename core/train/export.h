// core/train/export.h - node embeddings and relation parameters out of marius,
// keyed by the original ids, and top-k link prediction.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/plugin/score_function.h"
#include "core/train/model.h"
#include "core/train/node_rows.h"

namespace marius {

// Writes into `dir` (created if needed), each file atomically (temporary file,
// then rename):
//   nodes.tsv          original id, then the D values, tab-separated, in dense-id order
//   nodes.npy          float32 [num_nodes, D] (NumPy format 1.0, C order)
//   node_ids.txt       original ids, one per line, in the row order of nodes.npy
//   relations.tsv / relations.npy / relation_ids.txt   likewise, [num_relations, R]
// Node rows are written block by block (out of core: one partition at a time).
// Returns the files written.
std::vector<std::filesystem::path> export_model(const Model& model, const NodeRows& nodes, const Dataset& dataset,
                                                const std::filesystem::path& dir);

// Writes a float32 matrix as .npy (atomically). Exposed for tests.
void write_npy(const std::filesystem::path& file, const float* data, int64_t rows, int64_t cols);

struct RankedNode {
  int64_t node;  // dense id
  double score;
};

// The k best tails of (anchor, relation, ?) — or heads of (?, relation, anchor)
// when `predict_heads` — over all nodes, best first, by dense ids: 0 <= anchor <
// num_nodes, 0 <= relation < num_relations (0 for plain graphs); anything else
// is Error(OUT_OF_RANGE). predict() below is this keyed by original ids.
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
