// core/tasks/link_prediction/link_prediction_task.h - link prediction as a
// task (core/run/task.h): a batch is a run of edges with their negatives.
//
// load:    the batch's edges (padded to whole chunks), negatives for both
//          corrupted sides from the sampler plugin (sample_calls.h), the
//          filter's masks, and the node rows it reads;
// compute: the relation rows (RelationTable, under its lock), positive and
//          chunked negative scores through the score plugin, the loss and its
//          gradients in closed form, the plugin's backward, the relation update
//          (link_prediction_compute.cpp);
// update:  sparse Adagrad on the node rows the batch touched (lock-free,
//          Hogwild-style).
//
// Non-finite values stop training with Error(NON_FINITE) naming the epoch, the
// batch and the culprit: the score plugin's output when a score is NaN or
// infinite, else the loss; a node row or relation whose update left it (or its
// Adagrad state) non-finite, which is what a plugin's NaN gradient leads to.
//
// Randomness is a pure function of (seed, epoch, batch number).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "core/config/config.h"
#include "core/plugin/negative_sampler.h"
#include "core/plugin/score_function.h"
#include "core/run/task.h"
#include "core/tasks/link_prediction/relation_table.h"
#include "core/model/model.h"
#include "core/kernels/sparse_optimizer.h"

namespace marius {

class EdgeSet;

class LinkPredictionTask : public Task {
 public:
  // `train_edges`: the true training edges the filter knows (negatives.filtered);
  // may be undefined otherwise. Batches compute on `device`. Checks that the
  // score plugin accepts the device and, when compute runs concurrently, is
  // reentrant.
  LinkPredictionTask(const Config& config, Model& model, const ScoreFunction& score, const NegativeSampler& sampler,
                     const at::Tensor& train_edges, c10::Device device);
  ~LinkPredictionTask() override;

  int64_t num_batches(const Segment& segment) const override;
  std::unique_ptr<TaskBatch> load(const Segment& segment, int64_t index, uint32_t worker) override;
  void compute(TaskBatch& batch, uint32_t worker) override;
  void update(TaskBatch& batch, uint32_t worker) override;
  StepTimes take_times() override;

  // Replaces sparse Adagrad on node rows by `apply`, called by the update
  // stage once per batch with the batch's number within the epoch and its node
  // gradients (tests: a counting optimizer). Empty: Adagrad again.
  using NodeOptimizer = std::function<void(int64_t batch, const std::vector<RowGradients>& gradients)>;
  void replace_node_optimizer(NodeOptimizer apply) { node_optimizer_ = std::move(apply); }
  // Distributed link prediction: `sync` shares the relations every `every`
  // batches (RelationTable::share).
  void share_relations(std::function<void()> sync, int64_t every) { relations_.share(std::move(sync), every); }

  // Runs the kernels of the device path (ATen operations: the softmax loss and
  // sparse Adagrad by coalescing) also on the host, instead of the host's
  // fused kernels, so tests check on a CPU what a GPU computes. On with a
  // non-CPU device whatever is set here.
  void use_device_kernels(bool on);

 private:
  struct Batch;
  struct Worker;
  // The compute stage with inverse relations and shared negatives, and without.
  void compute_fused(Batch& batch, Worker& worker);
  void compute_separate(Batch& batch, Worker& worker);
  // Adds the regularisation gradient of rows x (weighted per row) to g; returns the penalty.
  double add_penalty(const at::Tensor& x, const at::Tensor& weight, at::Tensor& g) const;
  // The loss (training.loss) and its gradients, with the device path's kernels when device_kernels_.
  double contrastive(const at::Tensor& pos, const at::Tensor& neg, const at::Tensor& weight, at::Tensor& grad_pos,
                     at::Tensor& grad_neg) const;
  // Marks the negatives that form a true training edge (host tensors): masks
  // bool [C, S, N] of the rhs and lhs corruptions.
  void filter_masks(const Batch& batch, at::Tensor& mask_r, at::Tensor& mask_l) const;
  // Throws Error(NON_FINITE) unless `loss` is finite, naming the score
  // plugin when one of `scores` is not finite.
  void require_finite_loss(const Batch& batch, double loss, std::initializer_list<const at::Tensor*> scores) const;
  // What an update that left a non-finite value points to: one of `grads`
  // (the plugin's backward or the loss), or else the update itself.
  std::string update_culprit(const char* kind, const std::vector<const at::Tensor*>& grads) const;
  // Throws Error(NON_FINITE) for the batch: `what` became non-finite.
  [[noreturn]] void non_finite(const Batch& batch, const std::string& what) const;

  const Config& config_;
  Model& model_;
  const ScoreFunction& score_;
  const NegativeSampler& sampler_;
  const c10::Device device_;
  const at::TensorOptions floats_;  // float32 on the training device
  bool device_kernels_;             // the device path's kernels (see use_device_kernels)
  std::unique_ptr<EdgeSet> filter_;  // true training edges, when negatives are filtered
  RelationTable relations_;
  NodeOptimizer node_optimizer_;
  std::mutex sampler_mutex_;  // held around sample() unless the sampler is reentrant
  std::vector<std::unique_ptr<Worker>> loaders_, computers_, updaters_;
};

}  // namespace marius
