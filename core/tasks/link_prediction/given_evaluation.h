// core/tasks/link_prediction/given_evaluation.h - link-prediction metrics
// against the negatives a dataset ships (given_negatives.h), computed as the
// benchmarks that publish them define them, so figures sit beside their
// leaderboards.
//
//   given, shared layout (OGB's ogbl-ddi, ogbl-collab): each positive (h, r, t)
//     of the split is scored once and compared with every shared negative edge:
//     Hits@K = the fraction of positives scoring strictly above the K-th
//     highest negative (OGB's evaluator); no rank metrics (`ranked` false).
//   given, per-edge layouts (ogbl-citation2: tails; ogbl-wikikg2: both): edge
//     i's target ranked among its own M candidates (ranking.h): MRR, MR,
//     Hits@1/3/10 and Hits@K; layout `both` ranks each edge twice (tail among
//     its tail candidates, head among its head candidates), as OGB's KG models.
//   classification (CoDEx's false triples, shared layout with relations): every
//     true and false triple is scored; for each relation a threshold is chosen
//     on the validation split's true and false triples (ranking.h's
//     best_threshold; a relation absent there uses the threshold chosen over the
//     whole validation split); a triple is called true iff its score is at
//     least its relation's threshold. Accuracy and F1 (true triples the
//     positive class) over the split.
//
// Node embeddings come from NodeRows, so these run out of core too (per-edge
// candidates are gathered a batch at a time).
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/data/given_negatives.h"
#include "core/model/model.h"
#include "core/model/node_rows.h"
#include "core/plugin/score_function.h"
#include "core/tasks/link_prediction/evaluator.h"

namespace marius {

class Progress;

// `edges`: the split's true edges, int64 [E, 3]; `negatives` that split's.
// `progress` (may be null) advances by each positive scored and ranked.
RankMetrics given_metrics(const Model& model, const NodeRows& nodes, const ScoreFunction& score,
                          const at::Tensor& edges, const GivenNegatives& negatives, const std::vector<int64_t>& hits_at,
                          int64_t batch_size, Progress* progress = nullptr);
// Progress units given_metrics counts.
int64_t given_progress_units(const at::Tensor& edges, const GivenNegatives& negatives);

// Triple classification of `edges` and their false triples `negatives` (shared
// layout), with thresholds per relation chosen on `valid_edges` and
// `valid_negatives`. Throws Error(INVALID_ARGUMENT) for per-edge negatives.
RankMetrics classification_metrics(const Model& model, const NodeRows& nodes, const ScoreFunction& score,
                                   const at::Tensor& valid_edges, const GivenNegatives& valid_negatives,
                                   const at::Tensor& edges, const GivenNegatives& negatives, int64_t batch_size);

}  // namespace marius
