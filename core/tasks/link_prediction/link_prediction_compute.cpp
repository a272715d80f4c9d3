// The link-prediction task's compute stage (see link_prediction_task.h).
#include <chrono>

#include <ATen/ATen.h>

#include "core/model/decomposed_score.h"
#include "core/model/score_calls.h"
#include "core/tasks/link_prediction/link_prediction_batch.h"
#include "core/kernels/loss.h"
#include "marius/sdk/comparators.hpp"

namespace marius {

void LinkPredictionTask::compute_separate(Batch& b, Worker& w) {
  auto clock = std::chrono::steady_clock::now();
  const int64_t C = b.C, S = b.S, P = b.P, D = model_.dim, W = model_.relation_width;
  const int64_t N = b.neg_rhs_ids.size(1);
  const bool inverse = model_.inverse_relations;
  const at::Tensor &src = b.src, &rel = b.rel, &dst = b.dst, &weight = b.weight;
  const at::Tensor &src_e = b.src_e, &dst_e = b.dst_e, &neg_rhs_e = b.neg_rhs_e, &neg_lhs_e = b.neg_lhs_e;
  // With inverse relations, head corruption scores the reversed edge
  // (tail, relation + R, ?) instead of (?, relation, tail).
  at::Tensor rel_e = relations_.gather(rel);
  at::Tensor rel_inv = inverse ? rel + model_.num_relations : at::Tensor();
  at::Tensor rel_inv_e = inverse ? relations_.gather(rel_inv) : at::Tensor();
  w.times.gather += lap(clock);

  // Forward through the plugin.
  at::Tensor src3 = src_e.view({C, S, D}), dst3 = dst_e.view({C, S, D}), rel3 = rel_e.view({C, S, W});
  auto call = [&](uint32_t mode, const at::Tensor& l, const at::Tensor& r, const at::Tensor& h,
                  std::vector<int64_t> shape) {
    return score_forward(score_, w.score_ctx, mode, l, r, h, at::empty(shape, floats_));
  };
  // A decomposed score applies its operator once per side: to the heads (y_r,
  // for the positives and the tails' corruption) and to the tails (y_l, op_lhs,
  // or op_rhs with the inverse relations), and differentiates each once.
  const uint32_t comparator = score_.comparator();
  at::Tensor y_r, y_l;
  at::Tensor pos, pos_inv, neg_r, neg_l, relinv3;
  if (inverse) relinv3 = rel_inv_e.view({C, S, W});
  if (comparator != MARIUS_COMPARATOR_NONE) {
    y_r = relation_operator(score_, w.score_ctx, MARIUS_OPERATOR_RHS, src_e, rel_e);
    pos = sdk::comparators::rows(comparator, y_r, dst_e);
    neg_r = sdk::comparators::chunked(comparator, y_r.view({C, S, D}), neg_rhs_e);
    y_l = inverse ? relation_operator(score_, w.score_ctx, MARIUS_OPERATOR_RHS, dst_e, rel_inv_e)
                  : relation_operator(score_, w.score_ctx, MARIUS_OPERATOR_LHS, dst_e, rel_e);
    if (inverse) pos_inv = sdk::comparators::rows(comparator, y_l, src_e);
    neg_l = sdk::comparators::chunked(comparator, y_l.view({C, S, D}), neg_lhs_e);
  } else {
    pos = call(MARIUS_SCORE_POSITIVE, src_e, rel_e, dst_e, {P});
    if (inverse) pos_inv = call(MARIUS_SCORE_POSITIVE, dst_e, rel_inv_e, src_e, {P});
    neg_r = call(MARIUS_SCORE_CORRUPT_RHS, src3, rel3, neg_rhs_e, {C, S, N});
    neg_l = inverse ? call(MARIUS_SCORE_CORRUPT_RHS, dst3, relinv3, neg_lhs_e, {C, S, N})
                    : call(MARIUS_SCORE_CORRUPT_LHS, neg_lhs_e, rel3, dst3, {C, S, N});
  }
  w.times.forward += lap(clock);

  if (b.mask_r.defined()) {
    neg_r.masked_fill_(b.mask_r, -1e30f);
    neg_l.masked_fill_(b.mask_l, -1e30f);
  }

  // Loss and its gradients with respect to the scores.
  at::Tensor weight2 = weight.view({C, S});
  at::Tensor grad_pos = at::zeros({C, S}, floats_);
  at::Tensor grad_pos_inv = inverse ? at::zeros({C, S}, floats_) : grad_pos;
  at::Tensor grad_nr, grad_nl;
  double loss = contrastive(pos.view({C, S}), neg_r, weight2, grad_pos, grad_nr);
  loss += contrastive((inverse ? pos_inv : pos).view({C, S}), neg_l, weight2,
                           grad_pos_inv, grad_nl);
  w.times.loss += lap(clock);

  // Backward through the plugin: gradients of each input, overwritten.
  auto back = [&](uint32_t mode, const at::Tensor& l, const at::Tensor& r, const at::Tensor& h,
                  const at::Tensor& g_out, at::Tensor& gl, at::Tensor& gr, at::Tensor& gh) {
    gl = at::empty_like(l);
    gr = at::empty_like(r);
    gh = at::empty_like(h);
    score_backward(score_, w.score_ctx, mode, l, r, h, g_out, gl, gr, gh);
  };
  at::Tensor g_src, g_rel, g_dst, g_src_r, g_rel_r, g_nr, g_nl, g_rel_l, g_dst_l;
  at::Tensor g_rel_inv;  // gradients of the inverse-relation rows
  if (comparator != MARIUS_COMPARATOR_NONE) {
    namespace cmp = sdk::comparators;
    at::Tensor g_yr = at::empty_like(y_r), g_yr_neg = at::empty({C, S, D}, floats_), g_yl_neg = at::empty({C, S, D}, floats_);
    g_dst = at::empty_like(dst_e);
    g_nr = at::empty_like(neg_rhs_e);
    g_nl = at::empty_like(neg_lhs_e);
    cmp::rows_backward(comparator, y_r, dst_e, grad_pos.view({P}), &g_yr, &g_dst);
    cmp::chunked_backward(comparator, y_r.view({C, S, D}), neg_rhs_e, grad_nr, &g_yr_neg, &g_nr);
    g_yr.add_(g_yr_neg.view({P, D}));
    cmp::chunked_backward(comparator, y_l.view({C, S, D}), neg_lhs_e, grad_nl, &g_yl_neg, &g_nl);
    at::Tensor g_yl = g_yl_neg.view({P, D}), g_src_pos;
    if (inverse) {  // the tails' queries also score their positives against the heads
      g_yl = at::empty_like(y_l);
      g_src_pos = at::empty_like(src_e);
      cmp::rows_backward(comparator, y_l, src_e, grad_pos_inv.view({P}), &g_yl, &g_src_pos);
      g_yl.add_(g_yl_neg.view({P, D}));
    }
    g_src = at::empty_like(src_e);
    g_rel = at::empty_like(rel_e);
    relation_operator_backward(score_, w.score_ctx, MARIUS_OPERATOR_RHS, src_e, rel_e, g_yr, g_src, g_rel);
    at::Tensor g_dst_q = at::empty_like(dst_e), g_rel_q = at::empty_like(rel_e);
    relation_operator_backward(score_, w.score_ctx, inverse ? MARIUS_OPERATOR_RHS : MARIUS_OPERATOR_LHS, dst_e,
                               inverse ? rel_inv_e : rel_e, g_yl, g_dst_q, g_rel_q);
    g_dst.add_(g_dst_q);
    if (inverse) {
      g_src.add_(g_src_pos);
      g_rel_inv = g_rel_q;
    } else {
      g_rel.add_(g_rel_q);
    }
  } else if (inverse) {
    back(MARIUS_SCORE_POSITIVE, src_e, rel_e, dst_e, grad_pos.view({P}), g_src, g_rel, g_dst);
    at::Tensor g_dst_p, g_src_p, g_relinv_p;
    back(MARIUS_SCORE_POSITIVE, dst_e, rel_inv_e, src_e, grad_pos_inv.view({P}), g_dst_p, g_relinv_p, g_src_p);
    back(MARIUS_SCORE_CORRUPT_RHS, src3, rel3, neg_rhs_e, grad_nr, g_src_r, g_rel_r, g_nr);
    back(MARIUS_SCORE_CORRUPT_RHS, dst3, relinv3, neg_lhs_e, grad_nl, g_dst_l, g_rel_l, g_nl);
    g_src.add_(g_src_p).add_(g_src_r.view({P, D}));
    g_dst.add_(g_dst_p).add_(g_dst_l.view({P, D}));
    g_rel.add_(g_rel_r.view({P, W}));
    g_rel_inv = g_relinv_p.add_(g_rel_l.view({P, W}));
  } else {
    back(MARIUS_SCORE_POSITIVE, src_e, rel_e, dst_e, grad_pos.view({P}), g_src, g_rel, g_dst);
    back(MARIUS_SCORE_CORRUPT_RHS, src3, rel3, neg_rhs_e, grad_nr, g_src_r, g_rel_r, g_nr);
    back(MARIUS_SCORE_CORRUPT_LHS, neg_lhs_e, rel3, dst3, grad_nl, g_nl, g_rel_l, g_dst_l);
    g_src.add_(g_src_r.view({P, D}));
    g_dst.add_(g_dst_l.view({P, D}));
    g_rel.add_(g_rel_r.view({P, W})).add_(g_rel_l.view({P, W}));
  }
  w.times.backward += lap(clock);

  // Regularisation of the rows the positives use.
  if (config_.regularization != Regularization::kNone && config_.regularization_weight > 0) {
    loss += add_penalty(src_e, weight, g_src);
    loss += add_penalty(dst_e, weight, g_dst);
    if (W > 0) loss += add_penalty(rel_e, weight, g_rel);
    if (W > 0 && inverse) loss += add_penalty(rel_inv_e, weight, g_rel_inv);
  }
  require_finite_loss(b, loss, {&pos, &pos_inv, &neg_r, &neg_l});
  // Relations now, under their lock; node rows in the update stage.
  const at::Tensor relation_grads = inverse ? at::cat({g_rel, g_rel_inv}) : g_rel;
  if (!relations_.apply(inverse ? at::cat({rel, rel_inv}) : rel, relation_grads)) {
    non_finite(b, update_culprit("relation", {&relation_grads}));
  }
  w.times.update += lap(clock);
  b.gradients = {{src, g_src},
                 {dst, g_dst},
                 {b.neg_rhs_ids.view(-1), g_nr.view({-1, D})},
                 {b.neg_lhs_ids.view(-1), g_nl.view({-1, D})}};
  b.loss = loss;
}


// Inverse relations with negatives shared by both sides: both corruptions are
// tail corruptions, (head, r, ?) and (tail, r + R, ?), of one set of
// negatives, so each chunk is scored as 2S queries in one call. Row layout
// per chunk: the S heads' queries, then the S tails'.
void LinkPredictionTask::compute_fused(Batch& b, Worker& w) {
  auto clock = std::chrono::steady_clock::now();
  const int64_t C = b.C, S = b.S, P = b.P, D = model_.dim, W = model_.relation_width;
  const int64_t N = b.neg_rhs_ids.size(1);
  const at::Tensor &q = b.q, &t = b.t, &neg = b.neg;
  at::Tensor rel2 = b.rel.view({C, S});
  at::Tensor query_rels = at::cat({rel2, rel2 + model_.num_relations}, 1).view(-1);
  at::Tensor qr = relations_.gather(query_rels);
  w.times.gather += lap(clock);

  at::Tensor q3 = q.view({C, 2 * S, D}), qr3 = qr.view({C, 2 * S, W});
  // A decomposed score applies its relation operator to the queries once, for
  // their positives and their negatives alike, and differentiates it once.
  const uint32_t comparator = score_.comparator();
  at::Tensor y, pos, scores;
  if (comparator != MARIUS_COMPARATOR_NONE) {
    y = relation_operator(score_, w.score_ctx, MARIUS_OPERATOR_RHS, q, qr);
    pos = sdk::comparators::rows(comparator, y, t);
    scores = sdk::comparators::chunked(comparator, y.view({C, 2 * S, D}), neg);
  } else {
    pos = score_forward(score_, w.score_ctx, MARIUS_SCORE_POSITIVE, q, qr, t, at::empty({2 * P}, floats_));
    scores = score_forward(score_, w.score_ctx, MARIUS_SCORE_CORRUPT_RHS, q3, qr3, neg, at::empty({C, 2 * S, N}, floats_));
  }
  w.times.forward += lap(clock);

  if (b.mask_r.defined()) {  // the heads' queries corrupt tails (rhs), the tails' queries heads (lhs)
    scores.narrow(1, 0, S).masked_fill_(b.mask_r, -1e30f);
    scores.narrow(1, S, S).masked_fill_(b.mask_l, -1e30f);
  }
  at::Tensor weight2 = b.weight.view({C, S});
  at::Tensor weights = at::cat({weight2, weight2}, 1);  // [C, 2S]
  at::Tensor grad_pos = at::zeros({C, 2 * S}, floats_), grad_scores;
  double loss = contrastive(pos.view({C, 2 * S}), scores, weights, grad_pos, grad_scores);
  w.times.loss += lap(clock);

  at::Tensor g_neg = at::empty_like(neg), g_t = at::empty_like(t), g_query, g_rel;
  if (comparator != MARIUS_COMPARATOR_NONE) {
    at::Tensor g_y = at::empty_like(y), g_y_neg = at::empty_like(q3);
    sdk::comparators::rows_backward(comparator, y, t, grad_pos.view({2 * P}), &g_y, &g_t);
    sdk::comparators::chunked_backward(comparator, y.view({C, 2 * S, D}), neg, grad_scores, &g_y_neg, &g_neg);
    g_y.add_(g_y_neg.view({2 * P, D}));
    g_query = at::empty_like(q);
    g_rel = at::empty_like(qr);
    relation_operator_backward(score_, w.score_ctx, MARIUS_OPERATOR_RHS, q, qr, g_y, g_query, g_rel);
  } else {
    at::Tensor g_q = at::empty_like(q3), g_qr = at::empty_like(qr3);
    score_backward(score_, w.score_ctx, MARIUS_SCORE_CORRUPT_RHS, q3, qr3, neg, grad_scores, g_q, g_qr, g_neg);
    at::Tensor g_q_pos = at::empty_like(q), g_qr_pos = at::empty_like(qr);
    score_backward(score_, w.score_ctx, MARIUS_SCORE_POSITIVE, q, qr, t, grad_pos.view({2 * P}), g_q_pos, g_qr_pos, g_t);
    g_query = g_q.view({2 * P, D}).add_(g_q_pos);
    g_rel = g_qr.view({2 * P, W}).add_(g_qr_pos);
  }
  w.times.backward += lap(clock);

  if (config_.regularization != Regularization::kNone && config_.regularization_weight > 0) {
    // Every head and tail appears once among the queries, every relation and inverse once.
    at::Tensor flat = weights.view(-1);
    loss += add_penalty(q, flat, g_query);
    if (W > 0) loss += add_penalty(qr, flat, g_rel);
  }
  require_finite_loss(b, loss, {&pos, &scores});
  if (!relations_.apply(query_rels, g_rel)) non_finite(b, update_culprit("relation", {&g_rel}));
  w.times.update += lap(clock);
  b.gradients = {{b.query_ids, g_query}, {b.target_ids, g_t}, {b.neg_rhs_ids.view(-1), g_neg.view({-1, D})}};
  b.loss = loss;
}

double LinkPredictionTask::contrastive(const at::Tensor& pos, const at::Tensor& neg, const at::Tensor& weight, at::Tensor& grad_pos,
                                        at::Tensor& grad_neg) const {
  if (device_kernels_ && config_.loss == LossKind::kSoftmax) return softmax_loss_generic(pos, neg, weight, grad_pos, grad_neg);
  return contrastive_loss(config_.loss, pos, neg, weight, config_.margin, grad_pos, grad_neg);
}

double LinkPredictionTask::add_penalty(const at::Tensor& x, const at::Tensor& weight, at::Tensor& g) const {
  const double lambda = config_.regularization_weight;
  at::Tensor wcol = weight.unsqueeze(1);
  if (config_.regularization == Regularization::kL2) {
    g.add_(x * wcol * (2 * lambda));
    return lambda * (x * x * wcol).sum().item<double>();
  }
  at::Tensor a = x.abs();  // n3
  g.add_(x * a * wcol * (3 * lambda));
  return lambda * (a * a * a * wcol).sum().item<double>();
}

}  // namespace marius
