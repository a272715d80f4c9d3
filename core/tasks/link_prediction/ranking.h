// core/tasks/link_prediction/ranking.h - ranks, Hits@K and score thresholds:
// the arithmetic every link-prediction protocol shares (evaluator.h,
// given_evaluation.h), on score tensors alone so tests can check it by hand.
//
// A rank is 1 + #(candidates scoring higher) + #(other candidates scoring
// equal) / 2: OGB's 0.5 (optimistic + pessimistic) + 1. A candidate whose score
// is NaN counts as scoring higher; a target whose own score is not finite gets
// the worst rank.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/tasks/link_prediction/evaluator.h"  // RankMetrics

namespace marius {

// How many of `scores` [b, K] rank above each `target` [b, 1] (float64 [b]);
// entries at -inf (filtered out) never do.
at::Tensor count_above(const at::Tensor& scores, const at::Tensor& target);
// How many of `scores` [b, K] equal each `target` [b, 1] (float64 [b]).
at::Tensor count_equal(const at::Tensor& scores, const at::Tensor& target);
// 1 + above + ties / 2, or `worst` where `target` [b] is not finite.
at::Tensor ranks_from(const at::Tensor& target, const at::Tensor& above, const at::Tensor& ties, double worst);
// Ranks of `target` [b] among `scores` [b, K] that include the target itself.
at::Tensor ranks_of(const at::Tensor& scores, const at::Tensor& target);
// Ranks of `target` [b] among candidates `scores` [b, M] that do not include it
// (per-edge given negatives): worst M + 1.
at::Tensor ranks_among(const at::Tensor& scores, const at::Tensor& target);

// OGB's Hits@K against one shared set of negatives: the fraction of `positive`
// scores [E] strictly above the K-th highest of `negative` [N] (1 when N < K,
// as OGB). NaN negatives count as +inf; a positive that is not finite misses.
double hits_against_shared(const at::Tensor& positive, const at::Tensor& negative, int64_t k);

// Accumulates ranks into RankMetrics: MRR, MR, Hits@1/3/10 and Hits@K for `ks`.
class RankSum {
 public:
  explicit RankSum(std::vector<int64_t> ks = {}) : ks_(std::move(ks)), hits_(ks_.size(), 0.0) {}
  void add(const at::Tensor& ranks);  // float64 [b]
  RankMetrics finish(const char* protocol, int64_t negatives, double seconds) const;

 private:
  double rr_ = 0, r_ = 0, h1_ = 0, h3_ = 0, h10_ = 0;
  int64_t n_ = 0;
  std::vector<int64_t> ks_;
  std::vector<double> hits_;
};

// Triple classification: the threshold on `scores` [n] that classifies the
// most of `labels` [n] (bool, true = a true triple) right when a triple is
// called true iff its score >= the threshold: a midpoint between neighbouring
// distinct scores, or below/above them all. Non-finite scores count as -inf.
double best_threshold(const at::Tensor& scores, const at::Tensor& labels);

}  // namespace marius
