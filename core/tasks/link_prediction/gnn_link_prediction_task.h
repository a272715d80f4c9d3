// core/tasks/link_prediction/gnn_link_prediction_task.h - link prediction
// with a GNN encoder (MariusGNN): a batch is a run of edges with their
// negatives, as in LinkPredictionTask, but the score plugin sees the
// encoder's output for each node instead of its embedding row.
//
// load:    the batch's edges (padded to whole chunks), one set of negatives
//          per chunk from the sampler plugin (shared by both corrupted sides),
//          the DENSE neighbourhood of every node they name (one sample for
//          heads, tails and negatives together, duplicates merged), and the
//          input rows (learned embeddings, and features when configured) of
//          every sampled node;
// compute: the encoder over the sample, positive and chunked negative scores
//          through the score plugin (autograd through score_autograd.h), the
//          softmax loss of both corruptions (with inverse relations the
//          head's corruption scores (tail, r + R, ?)), backward, one dense
//          optimizer step on the layers (one batch at a time, or bounded-stale:
//          pipeline.dense_updates, dense_parameters.h) and the relation update;
// update:  sparse Adagrad on the sampled nodes' embedding rows.
//
// Non-finite values stop training with Error(NON_FINITE) naming the epoch,
// the batch and the culprit. Randomness is a pure function of (seed, epoch,
// batch number).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/run/step_timer.h"
#include "core/config/config.h"
#include "core/gnn/adjacency.h"
#include "core/gnn/dense_optimizer.h"
#include "core/gnn/dense_parameters.h"
#include "core/gnn/dense_sampler.h"
#include "core/gnn/encoder.h"
#include "core/model/model.h"
#include "core/plugin/negative_sampler.h"
#include "core/plugin/score_function.h"
#include "core/run/task.h"
#include "core/tasks/link_prediction/relation_table.h"

namespace marius {

class GnnLinkPredictionTask : public Task {
 public:
  // `model` holds the learned embeddings (the encoder's input, with
  // `features` [N, F] in front when defined) and the relations.
  GnnLinkPredictionTask(const Config& config, Model& model, GnnEncoder& encoder, DenseOptimizer& optimizer,
                        const Adjacency& adjacency, const ScoreFunction& score, const NegativeSampler& sampler,
                        at::Tensor features);
  ~GnnLinkPredictionTask() override;

  int64_t num_batches(const Segment& segment) const override;
  std::unique_ptr<TaskBatch> load(const Segment& segment, int64_t index, uint32_t worker) override;
  void compute(TaskBatch& batch, uint32_t worker) override;
  void update(TaskBatch& batch, uint32_t worker) override;
  StepTimes take_times() override;
  bool samples_neighbourhoods() const override { return true; }
  // "dense_updates": {"mode": "sync" or "async", "max_staleness": updates a batch's weights missed}
  void add_epoch_figures(nlohmann::ordered_json& record) override;

 private:
  struct Batch;
  [[noreturn]] void non_finite(const Batch& batch, const std::string& what) const;

  const Config& config_;
  Model& model_;
  GnnEncoder& encoder_;
  DenseOptimizer& optimizer_;
  const Adjacency& adjacency_;
  const ScoreFunction& score_;
  const NegativeSampler& sampler_;
  at::Tensor features_;
  std::vector<Fanout> fanouts_;
  RelationTable relations_;
  std::mutex sampler_mutex_;
  DenseParameters dense_;  // the layer parameters: sync or bounded-stale (pipeline.dense_updates)
  StepTimesSum times_;
};

}  // namespace marius
