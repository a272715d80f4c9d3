// core/tasks/link_prediction/evaluator.h - link-prediction quality: MRR, MR and Hits@k.
//
// Every edge (h, r, t) is ranked in both directions: t among all candidate
// tails of (h, r, ?) and h among all candidate heads of (?, r, t); the metrics
// average over the 2E rankings. A rank is 1 + #(candidates scoring higher) +
// #(other candidates scoring equal) / 2, so ties cost what they would on average.
// A score that is not finite never helps: a target whose score is NaN or
// infinite ranks last, and a candidate scoring NaN counts as scoring higher.
//
//   filtered: candidates are all nodes; other true edges (in any split) are
//             removed from the candidates (the standard protocol).
//   sampled:  candidates are n uniform plus n degree-weighted nodes, shared by
//             each block of edges, unfiltered (graphs too large to rank fully).
//
// Node embeddings come from NodeRows: out of core, filtered evaluation scores
// every query against one partition at a time (the target's score from the
// score plugin's positive mode), and sampled evaluation gathers the rows it
// needs in one pass, so neither loads the whole table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json_fwd.hpp>

#include "core/plugin/score_function.h"
#include "core/model/model.h"
#include "core/model/node_rows.h"

namespace marius {

class Progress;

struct RankMetrics {
  std::string protocol;       // "filtered", "sampled", "given" or "classification"
  int64_t negatives = 0;      // sampled: n (n uniform + n degree-weighted); given: the shared set's size, or M per edge
  int64_t rankings = 0;       // 2 x edges; given: the positives ranked (x 2 with layout both)
  // Rank metrics; `ranked` false when the protocol defines none (given with a
  // shared set: Hits@K only, as OGB; classification).
  bool ranked = true;
  double mrr = 0, mr = 0, hits1 = 0, hits3 = 0, hits10 = 0;
  // given: the layout of the negatives ("shared", "tails", "heads", "both")
  // and Hits@K for each K of evaluation.hits_at.
  std::string layout;
  std::vector<std::pair<int64_t, double>> hits_at;
  // classification: over the split's true triples and its false ones
  // (`negatives` of them), thresholds per relation chosen on the validation split.
  double accuracy = 0, f1 = 0;
  double seconds = 0;
  nlohmann::ordered_json json() const;
};

class Evaluator {
 public:
  // `known_edges`: every true edge (train, valid, test), int64 [*,3], for filtering.
  Evaluator(at::Tensor known_edges, at::Tensor degrees, int64_t num_relations);
  ~Evaluator();

  // `model` supplies the relations; `nodes` the node embeddings. `progress`
  // (may be null) advances by each ranking done (two per edge; with the node
  // rows in several blocks, two per edge and block).
  RankMetrics filtered(const Model& model, const NodeRows& nodes, const ScoreFunction& score, const at::Tensor& edges,
                       int64_t batch_size, Progress* progress = nullptr) const;
  RankMetrics sampled(const Model& model, const NodeRows& nodes, const ScoreFunction& score, const at::Tensor& edges,
                      int64_t negatives, int64_t batch_size, uint64_t seed, Progress* progress = nullptr) const;
  // The units progress counts for `edges` over `nodes` (see above).
  static int64_t progress_units(const NodeRows& nodes, const at::Tensor& edges, bool filtered);

 private:
  RankMetrics filtered_by_block(const Model& model, const NodeRows& nodes, const ScoreFunction& score,
                                const at::Tensor& edges, int64_t batch_size, Progress* progress) const;
  // Known partners of anchors[i] (other than targets[i]) as (row i, node) pairs.
  void known_partners(bool tails, const int64_t* anchors, const int64_t* relations, const int64_t* targets, int64_t b,
                      std::vector<int64_t>& rows, std::vector<int64_t>& cols) const;
  // (node, relation) -> the true partners on the other side.
  std::unordered_map<uint64_t, std::vector<int64_t>> tails_of_;  // key (h, r)
  std::unordered_map<uint64_t, std::vector<int64_t>> heads_of_;  // key (t, r)
  at::Tensor degrees_;
  int64_t num_relations_;
};

}  // namespace marius
