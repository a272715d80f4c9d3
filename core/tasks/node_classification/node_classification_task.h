// core/tasks/node_classification/node_classification_task.h - node
// classification as a task (core/run/task.h): a batch is a run of labelled
// training nodes.
//
// load:    the batch's nodes, their DENSE neighbourhood (dense_sampler.h) and
//          the input rows of every sampled node (features, learned
//          embeddings, or both);
// compute: the encoder over the sample (layer plugins, autograd), softmax
//          cross-entropy against the labels, backward, and one step of the
//          dense optimizer on the layer parameters: one batch at a time, or
//          bounded-stale (pipeline.dense_updates, dense_parameters.h);
// update:  sparse Adagrad on the learned embedding rows the batch read.
//
// A non-finite loss, gradient or embedding update stops training with
// Error(NON_FINITE) naming the epoch, the batch and the culprit (a layer
// plugin's NaN output or gradient is caught where it is returned).
// Randomness is a pure function of (seed, epoch, batch number).
#pragma once

#include <chrono>
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
#include "core/run/task.h"

namespace marius {

// What the first layer reads for each node.
struct GnnInput {
  at::Tensor features;         // float32 [N, F], or undefined
  at::Tensor embeddings;       // float32 [N, D] learned (sparse Adagrad), or undefined
  at::Tensor embedding_state;  // Adagrad's sum of squares, like embeddings
  int64_t width() const {
    return (features.defined() ? features.size(1) : 0) + (embeddings.defined() ? embeddings.size(1) : 0);
  }
  // The input rows of `nodes` (features, then embeddings), float32 [n, width()].
  at::Tensor rows(const at::Tensor& nodes) const;
};

class NodeClassificationTask : public Task {
 public:
  // Segments' examples are rows of the segment's table int64 [n, 1] whose
  // node (NodeTable::global_ids) has labels[node] >= 0. Neighbourhoods come
  // from the table's adjacency, else `adjacency` (null: every table brings
  // one, as out of core); input rows from the table's features when it has
  // them (out of core, feature pages), else from `inputs`.
  NodeClassificationTask(const Config& config, GnnEncoder& encoder, DenseOptimizer& optimizer,
                         const Adjacency* adjacency, GnnInput& inputs, at::Tensor labels);

  int64_t num_batches(const Segment& segment) const override;
  bool samples_neighbourhoods() const override { return true; }
  std::unique_ptr<TaskBatch> load(const Segment& segment, int64_t index, uint32_t worker) override;
  void compute(TaskBatch& batch, uint32_t worker) override;
  void update(TaskBatch& batch, uint32_t worker) override;
  StepTimes take_times() override;
  // "dense_updates": {"mode": "sync" or "async", "max_staleness": updates a batch's weights missed}
  void add_epoch_figures(nlohmann::ordered_json& record) override;

  // Distributed data parallelism: dense gradients go through `exchange`
  // (dense_parameters.h), and batch seeds (dropout, sampling) differ by `rank`
  // (rank 0 draws what one process draws).
  void set_exchange(GradientExchange* exchange, int32_t rank) {
    dense_.set_exchange(exchange);
    rank_ = rank;
  }
  // The exchange's remaining averages, applied at the end of an epoch; throws
  // Error(NON_FINITE) naming the parameter whose average is not finite.
  void drain_exchange();

 private:
  struct Batch;
  [[noreturn]] void non_finite(const Batch& batch, const std::string& what) const;

  const Config& config_;
  GnnEncoder& encoder_;
  DenseOptimizer& optimizer_;
  const Adjacency* adjacency_;
  GnnInput& inputs_;
  at::Tensor labels_;
  std::vector<Fanout> fanouts_;
  DenseParameters dense_;  // the layer parameters: sync or bounded-stale (pipeline.dense_updates)
  int32_t rank_ = 0;       // distributed: this worker's rank, salting batch seeds
  StepTimesSum times_;
};

}  // namespace marius
