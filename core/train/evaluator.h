// core/train/evaluator.h - link-prediction quality: MRR, MR and Hits@k.
//
// Every edge (h, r, t) is ranked in both directions: t among all candidate
// tails of (h, r, ?) and h among all candidate heads of (?, r, t); the metrics
// average over the 2E rankings. A rank is 1 + #(candidates scoring higher) +
// #(other candidates scoring equal) / 2, so ties cost what they would on average.
//
//   filtered: candidates are all nodes; other true edges (in any split) are
//             removed from the candidates (the standard protocol).
//   sampled:  candidates are n uniform plus n degree-weighted nodes, shared by
//             each block of edges, unfiltered (graphs too large to rank fully).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/plugin/score_function.h"
#include "core/train/model.h"

namespace marius {

struct RankMetrics {
  std::string protocol;       // "filtered" or "sampled"
  int64_t negatives = 0;      // sampled: n (n uniform + n degree-weighted)
  int64_t rankings = 0;       // 2 x edges
  double mrr = 0, mr = 0, hits1 = 0, hits3 = 0, hits10 = 0;
  double seconds = 0;
  std::string json() const;
};

class Evaluator {
 public:
  // `known_edges`: every true edge (train, valid, test), int64 [*,3], for filtering.
  Evaluator(at::Tensor known_edges, at::Tensor degrees, int64_t num_relations);
  ~Evaluator();

  RankMetrics filtered(const Model& model, const ScoreFunction& score, const at::Tensor& edges,
                       int64_t batch_size) const;
  RankMetrics sampled(const Model& model, const ScoreFunction& score, const at::Tensor& edges, int64_t negatives,
                      int64_t batch_size, uint64_t seed) const;

 private:
  // (node, relation) -> the true partners on the other side.
  std::unordered_map<uint64_t, std::vector<int64_t>> tails_of_;  // key (h, r)
  std::unordered_map<uint64_t, std::vector<int64_t>> heads_of_;  // key (t, r)
  at::Tensor degrees_;
  int64_t num_relations_;
};

}  // namespace marius
