// core/train/trainer.h - one epoch of link-prediction training.
//
// Each batch: pick edges (a seeded shuffle per epoch), draw negatives for both
// corrupted sides through the sampler plugin, gather embedding and relation rows,
// score positives and chunked negatives through the score plugin, take the
// loss's gradients in closed form, run the plugin's backward, and apply sparse
// Adagrad to the node rows the batch touched and the relation optimizer to its
// relations. `threads` workers take batches Hogwild-style (lock-free updates of
// node rows; relation updates under a mutex), each running one BLAS thread.
//
// Randomness is a pure function of (seed, epoch, batch), so an epoch started
// from a checkpoint draws what the uninterrupted run drew; with one thread the
// run is bit-for-bit reproducible.
//
// Out of core (an OutOfCore source given): the ordering plugin plans the epoch
// as buffer states; for each state the trainer acquires its partitions from the
// partition buffer, trains the edges of the state's buckets (shuffled together)
// on buffer-local rows, with negatives drawn only from the state's partitions,
// and releases the state so the buffer can write back and swap.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

#include <ATen/core/Tensor.h>

#include "core/config/config.h"
#include "core/plugin/negative_sampler.h"
#include "core/plugin/ordering_policy.h"
#include "core/plugin/score_function.h"
#include "core/storage/partition_buffer.h"
#include "core/train/loss.h"
#include "core/train/model.h"
#include "core/train/progress.h"

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

// Time spent in each part of a batch, summed over workers (seconds).
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

  // Trains epoch `epoch` (0-based). Throws the first error of any worker after
  // all workers stopped.
  EpochResult train_epoch(int64_t epoch, Progress* progress);

  const StepTimes& last_times() const { return times_; }

 private:
  struct Worker;
  // Trains edges[order] (ids are rows of `table`) in batches numbered from
  // `first_batch`; returns the summed loss.
  double run_batches(int64_t epoch, const at::Tensor& edges, const at::Tensor& order, int64_t first_batch,
                     NodeTable& table, Progress* progress);
  double train_batch(const at::Tensor& batch, uint64_t seed, Worker& worker, NodeTable& table);
  // The step with inverse relations and shared negatives (see trainer.cpp).
  double train_fused(int64_t C, int64_t S, const at::Tensor& weight, const at::Tensor& src, const at::Tensor& rel,
                     const at::Tensor& dst, const at::Tensor& neg_ids, NodeTable& table, Worker& worker,
                     std::chrono::steady_clock::time_point& clock);
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
  std::mutex relation_mutex_;
  std::mutex sampler_mutex_;  // held around sample() unless the sampler is reentrant
  std::mutex times_mutex_;
  StepTimes times_;
};

// While alive, ATen's intra-op threads and the BLAS's own threads (OpenBLAS) are
// 1, so Hogwild workers each use one core without oversubscription; the previous
// settings come back on destruction (evaluation then uses every core).
class SingleThreadedKernels {
 public:
  SingleThreadedKernels();
  ~SingleThreadedKernels();

 private:
  static void set(int aten, int blas);
  int aten_threads_;
  int blas_threads_ = 0;
};

}  // namespace marius
