// core/train/trainer.h - one epoch of link-prediction training.
//
// Each batch: pick edges (a seeded shuffle per epoch), draw negatives for both
// corrupted sides through the sampler plugin, gather node rows (the load
// stage); gather relation rows, score positives and chunked negatives through
// the score plugin, take the loss's gradients in closed form, run the plugin's
// backward and update the batch's relations (the compute stage); apply sparse
// Adagrad to the node rows the batch touched (the update stage). The stages run
// in a Pipeline (core/train/pipeline.h, docs/pipeline.md): pipelined, with
// worker threads per stage and at most pipeline.staleness batches in flight
// (node rows are updated lock-free, Hogwild-style; relations under a mutex), or
// sync, one batch at a time on the calling thread.
//
// Randomness is a pure function of (seed, epoch, batch), so an epoch started
// from a checkpoint draws what the uninterrupted run drew; in sync mode with
// one thread the run is bit-for-bit reproducible.
//
// Out of core (Tiers::buffer given): the ordering plugin plans the epoch as
// buffer states; for each state the trainer acquires its partitions from the
// partition buffer, trains the edges of the state's buckets (shuffled together)
// on buffer-local rows, with negatives drawn only from the state's partitions,
// drains the pipeline and releases the state so the buffer can write back and
// swap. Loads wait on the buffer (acquire), never on the disk directly.
//
// The device tier (Tiers::device_capacity > 0): node rows train in a second
// partition buffer on Tiers::device, filled from the tier below (the model's
// tables in memory, the host buffer's slab out of core). Within each host state
// the ordering plugin plans the state's partitions again for the device's d
// slots; the trainer runs those sub-states as above, and the device buffer
// writes every partition back before the host state is released. With d >= p
// in memory the whole table is one partition on the device and training is
// the in-memory epoch, on the device. Relations move to the device for the
// epoch; the sampler and the filter run on the host.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "core/config/config.h"
#include "core/plugin/negative_sampler.h"
#include "core/plugin/ordering_policy.h"
#include "core/plugin/score_function.h"
#include "core/storage/partition_buffer.h"
#include "core/train/loss.h"
#include "core/train/model.h"
#include "core/train/pipeline.h"
#include "core/train/progress.h"
#include "core/train/sparse_optimizer.h"

namespace marius {

class Dataset;

struct EpochResult {
  double loss = 0;          // summed over edges (mean reduction: mean over batches)
  int64_t edges = 0;
  double seconds = 0;
  double edges_per_sec = 0;
  bool out_of_core = false;
  BufferStats io;           // out of core only
  int64_t states = 0;       // out of core: buffer states of the plan
  bool device_tier = false;
  BufferStats device_io;    // device tier: its admissions and write-backs, summed over host states
  int64_t device_states = 0;  // device tier: sub-states trained
  PipelineStats pipeline;   // stage busy times, queue depths
  int64_t gradient_rows = 0;  // node-gradient rows the compute stage produced
};

// Where node rows live while they train (docs/out-of-core.md).
struct Tiers {
  const Dataset* dataset = nullptr;          // bucketed training edges: out of core, or a partial device tier
  const OrderingPolicy* ordering = nullptr;  // plans the host buffer's and the device tier's epochs
  PartitionBuffer* buffer = nullptr;         // the host buffer over the partition files (out of core;
                                             // the model's embeddings are undefined then)
  c10::Device device = c10::kCPU;            // where batches compute
  int32_t device_capacity = 0;               // d: partitions of the device tier; 0: no device tier
};

// The node rows a batch reads and updates: the model's tables, or a
// partition buffer's slab.
// partition buffer's slab, on the training device; the rest is on the host.
struct NodeTable {
  at::Tensor embeddings, state;  // float32 [rows, D], on the training device
  at::Tensor node_ranges;        // int64 [k, 2]: rows negatives are drawn from
  at::Tensor degrees;            // int64 [rows]
  at::Tensor global_ids;         // int64 [rows] node id of each row; undefined: the row is the id
};

// Time spent in each part of a batch, summed over workers (seconds): sample and
// gather are the load stage, forward/loss/backward the compute stage (with the
// relation update), update the update stage.
struct StepTimes {
  double sample = 0, gather = 0, forward = 0, loss = 0, backward = 0, update = 0;
};

class Trainer {
 public:
  // `train_edges` int64 [E,3] (undefined out of core: read by bucket);
  // `degrees` int64 [num_nodes].
  Trainer(const Config& config, Model& model, at::Tensor train_edges, at::Tensor degrees, const ScoreFunction& score,
          const NegativeSampler& sampler, Tiers tiers = {});
  ~Trainer();

  // Trains epoch `epoch` (0-based). Throws the first error of any stage after
  // every stage stopped; Error(CANCELLED) after interrupt_requested().
  EpochResult train_epoch(int64_t epoch, Progress* progress);

  const StepTimes& last_times() const { return times_; }

  // Replaces sparse Adagrad on node rows by `apply`, called by the update stage
  // once per batch with the batch's number within the epoch and its node
  // gradients (tests: a counting optimizer). Empty: Adagrad again.
  using NodeOptimizer = std::function<void(int64_t batch, const std::vector<RowGradients>& gradients)>;
  void replace_node_optimizer(NodeOptimizer apply) { node_optimizer_ = std::move(apply); }

  // Runs the kernels of the device path (ATen operations: the softmax loss and
  // sparse Adagrad by coalescing) also on the host, instead of the host's
  // fused kernels, so tests check on a CPU what a GPU computes. On with a
  // non-CPU device whatever is set here.
  void use_device_kernels(bool on) { device_kernels_ = on || !tiers_.device.is_cpu(); }

 private:
  struct Batch;
  struct StageWorker;
  // What the load stage reads while one run_batches() call is in progress.
  struct Segment {
    int64_t epoch = 0;
    const at::Tensor* edges = nullptr;
    const at::Tensor* order = nullptr;
    int64_t first_batch = 0;
    NodeTable* table = nullptr;
    Progress* progress = nullptr;
    double loss = 0;  // summed by the update stage
  };

  PipelineOptions pipeline_options() const;
  // Trains edges[order] (ids are rows of `table`) in batches numbered from
  // `first_batch` through the epoch's pipeline; returns the summed loss.
  double run_batches(int64_t epoch, const at::Tensor& edges, const at::Tensor& order, int64_t first_batch,
                     NodeTable& table, Progress* progress);
  // The stages (see the class comment).
  std::unique_ptr<Batch> load_batch(int64_t index, StageWorker& worker);
  void compute_batch(Batch& batch, StageWorker& worker);
  void update_batch(Batch& batch, StageWorker& worker);
  // The compute stage with inverse relations and shared negatives (see trainer.cpp).
  void compute_fused(Batch& batch, StageWorker& worker);
  // Adds the regularisation gradient of rows x (weighted per row) to g; returns the penalty.
  double add_penalty(const at::Tensor& x, const at::Tensor& weight, at::Tensor& g) const;
  // The loss (config.loss) and its gradients, with the device path's kernels when device_kernels_.
  double contrastive(const at::Tensor& pos, const at::Tensor& neg, const at::Tensor& weight, at::Tensor& grad_pos,
                     at::Tensor& grad_neg) const;
  void update_relations(const at::Tensor& rows, const at::Tensor& grads);
  // Marks the negatives that form a true training edge (host tensors; their
  // scores become -1e30: no weight): masks bool [C, S, N] of the rhs and lhs
  // corruptions.
  void filter_masks(const at::Tensor& src, const at::Tensor& rel, const at::Tensor& dst,
                    const at::Tensor& neg_rhs_ids, const at::Tensor& neg_lhs_ids, const NodeTable& table,
                    at::Tensor& mask_r, at::Tensor& mask_l) const;
  // A partitioned epoch (out of core, or in memory with a partial device
  // tier): see the class comment and trainer_partitioned.cpp.
  EpochResult train_partitioned(int64_t epoch, Progress* progress);
  // The in-memory epoch with the whole table as one partition on the device.
  EpochResult train_whole_on_device(int64_t epoch, Progress* progress);
  // The in-memory epoch on `table` (the model's, or its copy on the device).
  double train_in_memory(int64_t epoch, NodeTable& table, Progress* progress);
  // The device tier's plan within one host state (`index`-th of the epoch).
  Plan device_plan(const BufferState& host, int64_t epoch, size_t index) const;
  bool on_host() const { return tiers_.device.is_cpu(); }

  const Config& config_;
  Model& model_;
  at::Tensor edges_;
  at::Tensor degrees_;
  Tiers tiers_;
  at::TensorOptions floats_;  // float32 on the training device
  bool device_kernels_;       // the device path's kernels (see use_device_kernels)
  const ScoreFunction& score_;
  const NegativeSampler& sampler_;
  const LossKind loss_;
  std::unique_ptr<class EdgeSet> filter_;  // true training edges, when negatives are filtered
  NodeOptimizer node_optimizer_;
  std::mutex relation_mutex_;
  std::mutex sampler_mutex_;  // held around sample() unless the sampler is reentrant
  std::mutex segment_mutex_;  // the segment's loss and gradient-row count
  Segment segment_;
  int64_t gradient_rows_ = 0;
  Pipeline* pipeline_ = nullptr;  // during train_epoch
  std::vector<std::unique_ptr<StageWorker>> loaders_, computers_, updaters_;
  StepTimes times_;
};


}  // namespace marius
