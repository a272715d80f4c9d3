#include "core/tasks/link_prediction/given_evaluation.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <vector>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/model/score_calls.h"
#include "core/run/progress.h"
#include "core/tasks/link_prediction/ranking.h"

namespace marius {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The positive-mode scores of `edges` [E, 3] (float32 [E]), `batch` at a time.
at::Tensor score_edges(const Model& model, const NodeRows& nodes, const ScoreFunction& score, CallContext& ctx,
                       const at::Tensor& edges, int64_t batch, Progress* progress) {
  const int64_t e = edges.size(0);
  at::Tensor out = at::empty({e}, at::kFloat);
  for (int64_t begin = 0; begin < e; begin += batch) {
    const int64_t b = std::min(e, begin + batch) - begin;
    at::Tensor part = edges.narrow(0, begin, b);
    at::Tensor rows = nodes.gather(at::cat({part.select(1, 0), part.select(1, 2)}));
    at::Tensor rel = model.relations.index_select(0, part.select(1, 1).contiguous());
    score_forward(score, ctx, MARIUS_SCORE_POSITIVE, rows.narrow(0, 0, b).contiguous(), rel,
                  rows.narrow(0, b, b).contiguous(), out.narrow(0, begin, b));
    if (progress != nullptr) progress->advance(b, 0);
  }
  return out;
}

// Ranks edge i's target among its own candidates `candidates` [E, M]: its tail
// (tails = true) or its head. float64 [E].
at::Tensor rank_per_edge(const Model& model, const NodeRows& nodes, const ScoreFunction& score, CallContext& ctx,
                         const at::Tensor& edges, const at::Tensor& candidates, bool tails, int64_t batch,
                         Progress* progress) {
  const int64_t e = edges.size(0), m = candidates.size(1);
  // Keep a batch's candidate rows near 2^20.
  const int64_t step = std::max<int64_t>(1, std::min<int64_t>(batch, (int64_t{1} << 20) / std::max<int64_t>(1, m)));
  const bool as_tails = tails || model.inverse_relations;  // heads as the tails of (t, r^-1, ?)
  at::Tensor ranks = at::empty({e}, at::kDouble);
  for (int64_t begin = 0; begin < e; begin += step) {
    const int64_t b = std::min(e, begin + step) - begin;
    at::Tensor part = edges.narrow(0, begin, b);
    at::Tensor r = part.select(1, 1).contiguous();
    at::Tensor rel = model.relations.index_select(0, as_tails && !tails ? r + model.num_relations : r);
    at::Tensor anchor_ids = part.select(1, tails ? 0 : 2), target_ids = part.select(1, tails ? 2 : 0);
    // Column 0 is the target itself, scored in the same call as its candidates,
    // so a candidate that is the target node scores exactly the same (a tie).
    at::Tensor columns = at::cat({target_ids.unsqueeze(1), candidates.narrow(0, begin, b)}, 1);
    at::Tensor rows = nodes.gather(at::cat({anchor_ids, columns.reshape({-1})}));
    at::Tensor anchors = rows.narrow(0, 0, b).contiguous();
    at::Tensor cand = rows.narrow(0, b, b * (m + 1)).view({b, m + 1, -1});
    // Each edge is a chunk of one query against its own candidates.
    at::Tensor scores = at::empty({b, 1, m + 1}, at::kFloat);
    if (as_tails) {
      score_forward(score, ctx, MARIUS_SCORE_CORRUPT_RHS, anchors.unsqueeze(1), rel.unsqueeze(1), cand, scores);
    } else {
      score_forward(score, ctx, MARIUS_SCORE_CORRUPT_LHS, cand, rel.unsqueeze(1), anchors.unsqueeze(1), scores);
    }
    at::Tensor flat = scores.view({b, m + 1});
    ranks.narrow(0, begin, b).copy_(ranks_among(flat.narrow(1, 1, m), flat.select(1, 0).contiguous()));
    if (progress != nullptr) progress->advance(b, 0);
  }
  return ranks;
}

void check_edges(const at::Tensor& edges, const GivenNegatives& negatives) {
  const at::Tensor& per_edge = negatives.tails.defined() ? negatives.tails : negatives.heads;
  if (negatives.layout != NegativesLayout::kShared && per_edge.size(0) != edges.size(0)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "given negatives: {} rows of candidates for {} edges", per_edge.size(0),
         edges.size(0));
  }
}

}  // namespace

int64_t given_progress_units(const at::Tensor& edges, const GivenNegatives& negatives) {
  switch (negatives.layout) {
    case NegativesLayout::kShared: return edges.size(0) + negatives.edges.size(0);
    case NegativesLayout::kBoth: return 2 * edges.size(0);
    default: return edges.size(0);
  }
}

RankMetrics given_metrics(const Model& model, const NodeRows& nodes, const ScoreFunction& score,
                          const at::Tensor& edges_in, const GivenNegatives& negatives, const std::vector<int64_t>& hits_at,
                          int64_t batch_size, Progress* progress) {
  const auto start = Clock::now();
  CallContext ctx(score.label());
  const at::Tensor edges = edges_in.contiguous();
  check_edges(edges, negatives);
  if (negatives.layout == NegativesLayout::kShared) {
    at::Tensor positive = score_edges(model, nodes, score, ctx, edges, batch_size, progress);
    at::Tensor negative = score_edges(model, nodes, score, ctx, negatives.edges, batch_size, progress);
    RankMetrics m;
    m.protocol = "given";
    m.layout = "shared";
    m.negatives = negatives.edges.size(0);
    m.rankings = edges.size(0);
    m.ranked = false;
    for (int64_t k : hits_at) m.hits_at.emplace_back(k, hits_against_shared(positive, negative, k));
    m.seconds = since(start);
    return m;
  }
  RankSum sum(hits_at);
  if (negatives.tails.defined()) {
    sum.add(rank_per_edge(model, nodes, score, ctx, edges, negatives.tails, /*tails=*/true, batch_size, progress));
  }
  if (negatives.heads.defined()) {
    sum.add(rank_per_edge(model, nodes, score, ctx, edges, negatives.heads, /*tails=*/false, batch_size, progress));
  }
  RankMetrics m = sum.finish("given", negatives.count(), since(start));
  m.layout = negatives_layout_name(negatives.layout);
  return m;
}

RankMetrics classification_metrics(const Model& model, const NodeRows& nodes, const ScoreFunction& score,
                                   const at::Tensor& valid_edges, const GivenNegatives& valid_negatives,
                                   const at::Tensor& edges, const GivenNegatives& negatives, int64_t batch_size) {
  const auto start = Clock::now();
  if (valid_negatives.layout != NegativesLayout::kShared || negatives.layout != NegativesLayout::kShared) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "evaluation.protocol classification needs false triples (preprocess "
         "--negatives-layout shared), not per-edge candidates");
  }
  CallContext ctx(score.label());
  // Scores, labels and relations of a split's true and false triples.
  struct Labelled {
    at::Tensor scores, labels, relations;
  };
  auto label = [&](const at::Tensor& pos, const at::Tensor& neg) {
    at::Tensor all = at::cat({pos.contiguous(), neg.contiguous()});
    return Labelled{score_edges(model, nodes, score, ctx, all, batch_size, nullptr),
                    at::cat({at::ones({pos.size(0)}, at::kBool), at::zeros({neg.size(0)}, at::kBool)}),
                    all.select(1, 1).contiguous()};
  };
  const Labelled valid = label(valid_edges, valid_negatives.edges);
  const Labelled test = label(edges, negatives.edges);

  const double global = best_threshold(valid.scores, valid.labels);
  std::unordered_map<int64_t, std::vector<int64_t>> rows_of;  // relation -> its validation triples
  const int64_t* valid_rel = valid.relations.data_ptr<int64_t>();
  for (int64_t i = 0; i < valid.relations.size(0); ++i) rows_of[valid_rel[i]].push_back(i);
  std::unordered_map<int64_t, double> threshold;
  for (auto& [r, rows] : rows_of) {
    at::Tensor index = at::from_blob(rows.data(), {static_cast<int64_t>(rows.size())}, at::kLong);
    threshold[r] = best_threshold(valid.scores.index_select(0, index), valid.labels.index_select(0, index));
  }
  const int64_t n = test.scores.size(0);
  at::Tensor cut = at::empty({n}, at::kDouble);
  const int64_t* rel = test.relations.data_ptr<int64_t>();
  double* c = cut.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    auto it = threshold.find(rel[i]);
    c[i] = it == threshold.end() ? global : it->second;
  }
  at::Tensor s = test.scores.to(at::kDouble);
  at::Tensor predicted = s.isfinite() & (s >= cut);
  const double tp = (predicted & test.labels).sum().item<double>();
  const double fp = (predicted & test.labels.logical_not()).sum().item<double>();
  const double fn = (predicted.logical_not() & test.labels).sum().item<double>();
  const double right = (predicted == test.labels).sum().item<double>();
  RankMetrics m;
  m.protocol = "classification";
  m.layout = "shared";
  m.negatives = negatives.edges.size(0);
  m.rankings = n;
  m.ranked = false;
  m.accuracy = n > 0 ? right / static_cast<double>(n) : 0;
  m.f1 = tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
  m.seconds = since(start);
  return m;
}

}  // namespace marius
