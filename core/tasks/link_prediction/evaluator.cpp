#include "core/tasks/link_prediction/evaluator.h"

#include <chrono>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/run/progress.h"
#include "core/model/score_calls.h"
#include "core/tasks/link_prediction/ranking.h"

namespace marius {

nlohmann::ordered_json RankMetrics::json() const {
  nlohmann::ordered_json j = {{"protocol", protocol}, {"negatives", negatives}, {"rankings", rankings}};
  if (!layout.empty()) j["layout"] = layout;
  if (ranked) {
    j["mrr"] = mrr;
    j["mr"] = mr;
    j["hits1"] = hits1;
    j["hits3"] = hits3;
    j["hits10"] = hits10;
  }
  for (const auto& [k, v] : hits_at) j["hits@" + std::to_string(k)] = v;
  if (protocol == "classification") {
    j["accuracy"] = accuracy;
    j["f1"] = f1;
  }
  j["seconds"] = seconds;
  return j;
}

namespace {

uint64_t pair_key(int64_t node, int64_t relation, int64_t num_relations) {
  return static_cast<uint64_t>(node) * static_cast<uint64_t>(num_relations) + static_cast<uint64_t>(relation);
}

// Scores of each query against a shared candidate set through the plugin.
// tails: lhs = queries' heads [b,D], rel [b,W], candidates [K,D] -> [b,K];
// heads: candidates [K,D], rel [b,W], queries' tails [b,D] -> [b,K].
at::Tensor score_against(const ScoreFunction& score, CallContext& ctx, bool tails, const at::Tensor& anchors,
                         const at::Tensor& rel, const at::Tensor& candidates) {
  const int64_t b = anchors.size(0), k = candidates.size(0);
  at::Tensor a3 = anchors.unsqueeze(0), r3 = rel.unsqueeze(0), c3 = candidates.unsqueeze(0).contiguous();
  at::Tensor out = at::empty({1, b, k}, at::kFloat);
  if (tails) {
    score_forward(score, ctx, MARIUS_SCORE_CORRUPT_RHS, a3, r3, c3, out);
  } else {
    score_forward(score, ctx, MARIUS_SCORE_CORRUPT_LHS, c3, r3, a3, out);
  }
  return out.view({b, k});
}

}  // namespace

Evaluator::Evaluator(at::Tensor known_edges, at::Tensor degrees, int64_t num_relations)
    : degrees_(std::move(degrees)), num_relations_(num_relations) {
  at::Tensor e = known_edges.contiguous();
  const int64_t* p = e.data_ptr<int64_t>();
  for (int64_t i = 0; i < e.size(0); ++i) {
    int64_t h = p[3 * i], r = p[3 * i + 1], t = p[3 * i + 2];
    tails_of_[pair_key(h, r, num_relations)].push_back(t);
    heads_of_[pair_key(t, r, num_relations)].push_back(h);
  }
}

Evaluator::~Evaluator() = default;

void Evaluator::known_partners(bool tails, const int64_t* a, const int64_t* rr, const int64_t* tg, int64_t b,
                               std::vector<int64_t>& rows, std::vector<int64_t>& cols) const {
  const auto& index = tails ? tails_of_ : heads_of_;
  for (int64_t i = 0; i < b; ++i) {
    auto it = index.find(pair_key(a[i], rr[i], num_relations_));
    if (it == index.end()) continue;
    for (int64_t other : it->second) {
      if (other != tg[i]) {
        rows.push_back(i);
        cols.push_back(other);
      }
    }
  }
}

int64_t Evaluator::progress_units(const NodeRows& nodes, const at::Tensor& edges, bool filtered) {
  return 2 * edges.size(0) * (filtered ? std::max<int64_t>(1, nodes.num_blocks()) : 1);
}

RankMetrics Evaluator::filtered(const Model& model, const NodeRows& nodes, const ScoreFunction& score,
                                const at::Tensor& edges, int64_t batch_size, Progress* progress) const {
  if (nodes.num_blocks() > 1) return filtered_by_block(model, nodes, score, edges, batch_size, progress);
  const at::Tensor embeddings = nodes.block(0);
  auto start = std::chrono::steady_clock::now();
  CallContext ctx(score.label());
  const int64_t n = nodes.num_nodes();
  // Keep a block's score matrix near 128 MB.
  const int64_t block = std::max<int64_t>(1, std::min<int64_t>(batch_size, (int64_t{1} << 25) / std::max<int64_t>(1, n)));
  RankSum sum;
  at::Tensor all = edges.contiguous();
  for (int64_t begin = 0; begin < all.size(0); begin += block) {
    at::Tensor part = all.slice(0, begin, std::min(all.size(0), begin + block));
    const int64_t b = part.size(0);
    at::Tensor h = part.select(1, 0).contiguous(), r = part.select(1, 1).contiguous(), t = part.select(1, 2).contiguous();
    at::Tensor rel = model.relations.index_select(0, r);
    at::Tensor rel_inv = model.inverse_relations ? model.relations.index_select(0, r + model.num_relations) : rel;
    for (bool tails : {true, false}) {
      const at::Tensor& anchor_ids = tails ? h : t;
      const at::Tensor& target_ids = tails ? t : h;
      // With inverse relations, heads are the tails of (t, r^-1, ?).
      const bool as_tails = tails || model.inverse_relations;
      at::Tensor scores = score_against(score, ctx, as_tails, embeddings.index_select(0, anchor_ids),
                                        tails ? rel : rel_inv, embeddings);
      at::Tensor target = scores.gather(1, target_ids.unsqueeze(1)).squeeze(1);
      // Remove the other true partners: their scores go to -inf.
      std::vector<int64_t> rows, cols;
      known_partners(tails, anchor_ids.data_ptr<int64_t>(), r.data_ptr<int64_t>(), target_ids.data_ptr<int64_t>(), b,
                     rows, cols);
      if (!rows.empty()) {
        at::Tensor ri = at::from_blob(rows.data(), {static_cast<int64_t>(rows.size())}, at::kLong);
        at::Tensor ci = at::from_blob(cols.data(), {static_cast<int64_t>(cols.size())}, at::kLong);
        scores.index_put_({ri, ci}, -std::numeric_limits<float>::infinity());
      }
      sum.add(ranks_of(scores, target));
    }
    if (progress != nullptr) progress->advance(2 * b, 0);
  }
  return sum.finish("filtered", 0, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

RankMetrics Evaluator::sampled(const Model& model, const NodeRows& nodes, const ScoreFunction& score,
                               const at::Tensor& edges, int64_t negatives, int64_t batch_size, uint64_t seed,
                               Progress* progress) const {
  auto start = std::chrono::steady_clock::now();
  CallContext ctx(score.label());
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  // Degree-weighted draws by inverse CDF (at::multinomial stops at 2^24 nodes).
  at::Tensor cdf = degrees_.to(at::kDouble).clamp_min(1e-12).cumsum(0);
  const double total = cdf[-1].item<double>();
  at::Tensor all = edges.contiguous();
  // Draw every block's candidates first, then read all rows needed at once
  // (one pass over the partitions out of core).
  std::vector<at::Tensor> candidates;  // by (block, direction)
  for (int64_t begin = 0; begin < all.size(0); begin += batch_size) {
    for (int direction = 0; direction < 2; ++direction) {
      at::Tensor uniform = at::randint(nodes.num_nodes(), {negatives}, gen, at::kLong);
      at::Tensor u = at::rand({negatives}, gen, at::kDouble).mul_(total);
      at::Tensor by_degree =
          at::searchsorted(cdf, u, /*out_int32=*/false, /*right=*/true).clamp_max_(nodes.num_nodes() - 1);
      candidates.push_back(at::cat({uniform, by_degree}));
    }
  }
  const int64_t e = all.size(0);
  at::Tensor ids = at::cat({all.select(1, 0), all.select(1, 2), at::cat(candidates)});
  at::Tensor rows = nodes.gather(ids);
  at::Tensor head_rows = rows.narrow(0, 0, e), tail_rows = rows.narrow(0, e, e);
  int64_t next_candidates = 2 * e;
  const int64_t per_set = 2 * negatives;

  RankSum sum;
  for (int64_t begin = 0; begin < e; begin += batch_size) {
    const int64_t b = std::min(e, begin + batch_size) - begin;
    at::Tensor part = all.slice(0, begin, begin + b);
    at::Tensor r = part.select(1, 1).contiguous();
    at::Tensor rel_fwd = model.relations.index_select(0, r);
    at::Tensor rel_inv = model.inverse_relations ? model.relations.index_select(0, r + model.num_relations) : rel_fwd;
    at::Tensor h = head_rows.narrow(0, begin, b), t = tail_rows.narrow(0, begin, b);
    for (bool tails : {true, false}) {
      const bool as_tails = tails || model.inverse_relations;
      const at::Tensor& rel = tails ? rel_fwd : rel_inv;
      at::Tensor cand = rows.narrow(0, next_candidates, per_set);
      next_candidates += per_set;
      const at::Tensor& anchors = tails ? h : t;
      const at::Tensor& target_e = tails ? t : h;
      at::Tensor scores = score_against(score, ctx, as_tails, anchors, rel, cand);
      // The target's own score, through the positive mode of the plugin.
      at::Tensor lhs = as_tails ? anchors : target_e, rhs = as_tails ? target_e : anchors;
      at::Tensor target = score_forward(score, ctx, MARIUS_SCORE_POSITIVE, lhs, rel, rhs, at::empty({b}, at::kFloat));
      at::Tensor t2 = target.unsqueeze(1);
      sum.add(ranks_from(target, count_above(scores, t2), count_equal(scores, t2),
                         static_cast<double>(scores.size(1) + 1)));
    }
    if (progress != nullptr) progress->advance(2 * b, 0);
  }
  return sum.finish("sampled", negatives, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

RankMetrics Evaluator::filtered_by_block(const Model& model, const NodeRows& nodes, const ScoreFunction& score,
                                         const at::Tensor& edges, int64_t batch_size, Progress* progress) const {
  auto start = std::chrono::steady_clock::now();
  CallContext ctx(score.label());
  at::Tensor all = edges.contiguous();
  const int64_t e = all.size(0);
  at::Tensor h = all.select(1, 0).contiguous(), r = all.select(1, 1).contiguous(), t = all.select(1, 2).contiguous();
  at::Tensor rows = nodes.gather(at::cat({h, t}));
  at::Tensor h_e = rows.narrow(0, 0, e), t_e = rows.narrow(0, e, e);
  at::Tensor rel = model.relations.index_select(0, r);
  at::Tensor rel_inv = model.inverse_relations ? model.relations.index_select(0, r + model.num_relations) : rel;

  // Per direction: the target's score (positive mode), and counts of other
  // candidates scoring higher or equal, accumulated block by block.
  struct Direction {
    at::Tensor target, higher, equal;
  } dirs[2];
  for (int d = 0; d < 2; ++d) {
    const bool tails = d == 0, as_tails = tails || model.inverse_relations;
    const at::Tensor& anchors = tails ? h_e : t_e;
    const at::Tensor& targets = tails ? t_e : h_e;
    const at::Tensor& rl = tails ? rel : rel_inv;
    at::Tensor lhs = as_tails ? anchors : targets, rhs = as_tails ? targets : anchors;
    dirs[d].target = score_forward(score, ctx, MARIUS_SCORE_POSITIVE, lhs, rl, rhs, at::empty({e}, at::kFloat));
    dirs[d].higher = at::zeros({e}, at::kDouble);
    dirs[d].equal = at::zeros({e}, at::kDouble);
  }
  for (int32_t k = 0; k < nodes.num_blocks(); ++k) {
    at::Tensor candidates = nodes.block(k);
    const int64_t lo = nodes.begin(k), hi = nodes.begin(k + 1), n = hi - lo;
    const int64_t block = std::max<int64_t>(1, std::min<int64_t>(batch_size, (int64_t{1} << 25) / std::max<int64_t>(1, n)));
    for (int64_t begin = 0; begin < e; begin += block) {
      const int64_t b = std::min(e, begin + block) - begin;
      for (int d = 0; d < 2; ++d) {
        const bool tails = d == 0, as_tails = tails || model.inverse_relations;
        at::Tensor anchors = (tails ? h_e : t_e).narrow(0, begin, b);
        at::Tensor rl = (tails ? rel : rel_inv).narrow(0, begin, b);
        at::Tensor scores = score_against(score, ctx, as_tails, anchors, rl, candidates);
        // Remove the target itself and the other true partners inside this block.
        std::vector<int64_t> rws, cols;
        const int64_t* anchor_ids = (tails ? h : t).data_ptr<int64_t>() + begin;
        const int64_t* target_ids = (tails ? t : h).data_ptr<int64_t>() + begin;
        known_partners(tails, anchor_ids, r.data_ptr<int64_t>() + begin, target_ids, b, rws, cols);
        for (int64_t i = 0; i < b; ++i) {
          rws.push_back(i);
          cols.push_back(target_ids[i]);
        }
        std::vector<int64_t> in_rows, in_cols;
        for (size_t j = 0; j < rws.size(); ++j) {
          if (cols[j] >= lo && cols[j] < hi) {
            in_rows.push_back(rws[j]);
            in_cols.push_back(cols[j] - lo);
          }
        }
        if (!in_rows.empty()) {
          at::Tensor ri = at::from_blob(in_rows.data(), {static_cast<int64_t>(in_rows.size())}, at::kLong);
          at::Tensor ci = at::from_blob(in_cols.data(), {static_cast<int64_t>(in_cols.size())}, at::kLong);
          scores.index_put_({ri, ci}, -std::numeric_limits<float>::infinity());
        }
        at::Tensor t2 = dirs[d].target.narrow(0, begin, b).unsqueeze(1);
        dirs[d].higher.narrow(0, begin, b).add_(count_above(scores, t2));
        dirs[d].equal.narrow(0, begin, b).add_(count_equal(scores, t2));
      }
      if (progress != nullptr) progress->advance(2 * b, 0);
    }
  }
  RankSum sum;
  const double worst = static_cast<double>(nodes.num_nodes());
  for (int d = 0; d < 2; ++d) sum.add(ranks_from(dirs[d].target, dirs[d].higher, dirs[d].equal, worst));
  return sum.finish("filtered", 0, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace marius
