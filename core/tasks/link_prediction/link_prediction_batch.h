// core/tasks/link_prediction/link_prediction_batch.h - the link-prediction
// task's batch and per-worker state (internal to the task's sources).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/run/step_timer.h"
#include "core/plugin/host_services.h"
#include "core/tasks/link_prediction/link_prediction_task.h"

namespace marius {

// A worker of one stage: its plugin call contexts and its share of the times.
struct LinkPredictionTask::Worker {
  CallContext score_ctx;
  CallContext sampler_ctx;
  StepTimes times;
  Worker(const std::string& score_label, const std::string& sampler_label, uint32_t index)
      : score_ctx(score_label, nullptr, index), sampler_ctx(sampler_label, nullptr, index) {}
};

// One batch on its way through the stages. load fills everything up to the
// gathered node rows; compute fills `gradients` and `loss`.
struct LinkPredictionTask::Batch : TaskBatch {
  int64_t epoch = 0;                    // of the segment, 0-based
  const NodeTable* table = nullptr;     // the segment's
  int64_t C = 0, S = 0, P = 0;          // chunks, edges per chunk, padded edges (examples real ones)
  at::Tensor weight;                    // float32 [P]
  at::Tensor src, rel, dst;             // int64 [P]
  at::Tensor neg_rhs_ids, neg_lhs_ids;  // int64 [C, N], the same tensor with shared negatives
  bool fused = false;                   // inverse relations and shared negatives: compute_fused
  // Gathered node rows. Fused: q (queries [2P,D]), t (targets), neg [C,N,D];
  // otherwise src_e, dst_e [P,D], neg_rhs_e, neg_lhs_e [C,N,D].
  at::Tensor q, t, neg, src_e, dst_e, neg_rhs_e, neg_lhs_e;
  at::Tensor query_ids, target_ids;     // fused: int64 [2P]
  at::Tensor mask_r, mask_l;            // filtered negatives: bool [C, S, N] of the rhs and lhs corruptions
  std::vector<RowGradients> gradients;  // of node rows, for the update stage
};

}  // namespace marius
