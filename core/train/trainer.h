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
// Out of core (an OutOfCore source given): the ordering plugin plans the epoch
// as buffer states; for each state the trainer acquires its partitions from the
// partition buffer, trains the edges of the state's buckets (shuffled together)
// on buffer-local rows, with negatives drawn only from the state's partitions,
// drains the pipeline and releases the state so the buffer can write back and
// swap. Loads wait on the buffer (acquire), never on the disk directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <ATen/core/Tensor.h>

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
  PipelineStats pipeline;   // stage busy times, queue depths
  int64_t gradient_rows = 0;  // node-gradient rows the compute stage produced
};

// What out-of-core training reads: the bucketed training edges, the plan and
// the buffer of node rows. The model's embeddings are undefined then.
struct OutOfCore {
  const Dataset* dataset = nullptr;
  const OrderingPolicy* ordering = nullptr;
  PartitionBuffer* buffer = nullptr;
};

// The node rows a batch reads and updates: the model's tables, or the
// partition buffer's slab.
struct NodeTable {
  at::Tensor embeddings, state;  // float32 [rows, D]
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
          const NegativeSampler& sampler, OutOfCore out_of_core = {});
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
  void update_relations(const at::Tensor& rows, const at::Tensor& grads);
  // Gives negatives that form a true training edge a score of -1e30 (no weight).
  void filter_negatives(const at::Tensor& src, const at::Tensor& rel, const at::Tensor& dst,
                        const at::Tensor& neg_rhs_ids, const at::Tensor& neg_lhs_ids, at::Tensor& neg_r,
                        at::Tensor& neg_l, const NodeTable& table) const;
  EpochResult train_out_of_core(int64_t epoch, Progress* progress);

  const Config& config_;
  Model& model_;
  at::Tensor edges_;
  at::Tensor degrees_;
  OutOfCore out_of_core_;
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

// While alive, ATen's intra-op threads are `aten_threads` and the BLAS's own
// threads (OpenBLAS) `blas_threads` (pipelined training: 1 and 1, so stage
// workers each use one core without oversubscription); the previous settings
// come back on destruction (evaluation then uses every core).
class KernelThreads {
 public:
  KernelThreads(int aten_threads, int blas_threads);
  ~KernelThreads();
  KernelThreads(const KernelThreads&) = delete;
  KernelThreads& operator=(const KernelThreads&) = delete;

 private:
  static void set(int aten, int blas);
  int aten_threads_;
  int blas_threads_ = 0;
};

}  // namespace marius
