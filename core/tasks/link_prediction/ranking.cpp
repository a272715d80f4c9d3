#include "core/tasks/link_prediction/ranking.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>

namespace marius {

at::Tensor count_above(const at::Tensor& scores, const at::Tensor& target) {
  return ((scores > target) | scores.isnan()).sum(1).to(at::kDouble);
}

at::Tensor count_equal(const at::Tensor& scores, const at::Tensor& target) {
  return (scores == target).sum(1).to(at::kDouble);
}

at::Tensor ranks_from(const at::Tensor& target, const at::Tensor& above, const at::Tensor& ties, double worst) {
  return at::where(target.isfinite(), 1.0 + above + ties / 2.0, at::full_like(above, worst));
}

at::Tensor ranks_of(const at::Tensor& scores, const at::Tensor& target) {
  at::Tensor t = target.unsqueeze(1);
  at::Tensor ties = (count_equal(scores, t) - 1.0).clamp_min(0.0);
  return ranks_from(target, count_above(scores, t), ties, static_cast<double>(scores.size(1)));
}

at::Tensor ranks_among(const at::Tensor& scores, const at::Tensor& target) {
  at::Tensor t = target.unsqueeze(1);
  return ranks_from(target, count_above(scores, t), count_equal(scores, t), static_cast<double>(scores.size(1) + 1));
}

double hits_against_shared(const at::Tensor& positive, const at::Tensor& negative, int64_t k) {
  if (positive.numel() == 0) return 0;
  if (negative.size(0) < k) return 1;
  at::Tensor neg = negative.to(at::kDouble).masked_fill(negative.isnan(), std::numeric_limits<double>::infinity());
  const double kth = std::get<0>(at::topk(neg, k)).min().item<double>();
  at::Tensor pos = positive.to(at::kDouble);
  return ((pos > kth) & pos.isfinite()).to(at::kDouble).mean().item<double>();
}

void RankSum::add(const at::Tensor& ranks) {
  rr_ += ranks.reciprocal().sum().item<double>();
  r_ += ranks.sum().item<double>();
  h1_ += (ranks <= 1).sum().item<double>();
  h3_ += (ranks <= 3).sum().item<double>();
  h10_ += (ranks <= 10).sum().item<double>();
  for (size_t i = 0; i < ks_.size(); ++i) hits_[i] += (ranks <= static_cast<double>(ks_[i])).sum().item<double>();
  n_ += ranks.size(0);
}

RankMetrics RankSum::finish(const char* protocol, int64_t negatives, double seconds) const {
  RankMetrics m;
  m.protocol = protocol;
  m.negatives = negatives;
  m.rankings = n_;
  const double d = n_ > 0 ? static_cast<double>(n_) : 1;
  m.mrr = rr_ / d;
  m.mr = r_ / d;
  m.hits1 = h1_ / d;
  m.hits3 = h3_ / d;
  m.hits10 = h10_ / d;
  for (size_t i = 0; i < ks_.size(); ++i) m.hits_at.emplace_back(ks_[i], hits_[i] / d);
  m.seconds = seconds;
  return m;
}

double best_threshold(const at::Tensor& scores, const at::Tensor& labels) {
  at::Tensor s = scores.to(at::kDouble).contiguous();
  s = at::where(s.isfinite(), s, at::full_like(s, -std::numeric_limits<double>::infinity()));
  at::Tensor l = labels.to(at::kBool).contiguous();
  const int64_t n = s.numel();
  if (n == 0) return 0;
  // Sorted descending: calling the first i true (a cut between distinct
  // scores) classifies (true among them) + (false after them) right.
  at::Tensor order = at::argsort(s, /*stable=*/true, /*dim=*/0, /*descending=*/true);
  at::Tensor ss = s.index_select(0, order), ll = l.index_select(0, order);
  const double* sv = ss.data_ptr<double>();
  const bool* lv = ll.data_ptr<bool>();
  int64_t false_total = 0;
  for (int64_t i = 0; i < n; ++i) false_total += lv[i] ? 0 : 1;
  // Cut 0: nothing called true.
  int64_t best = false_total, best_cut = 0, true_above = 0, false_above = 0;
  for (int64_t i = 0; i < n; ++i) {
    (lv[i] ? true_above : false_above) += 1;
    if (i + 1 < n && sv[i + 1] == sv[i]) continue;  // cut only between distinct scores
    const int64_t right = true_above + (false_total - false_above);
    if (right > best) {
      best = right;
      best_cut = i + 1;
    }
  }
  if (best_cut == 0) return std::isfinite(sv[0]) ? sv[0] + 1 : std::numeric_limits<double>::infinity();
  const double lo = sv[best_cut - 1];
  if (best_cut == n) return std::isfinite(lo) ? lo - 1 : -std::numeric_limits<double>::infinity();
  const double hi = sv[best_cut];
  if (!std::isfinite(hi)) return lo;  // everything below is -inf (non-finite): call every finite score above it true
  return (lo + hi) / 2;
}

}  // namespace marius
