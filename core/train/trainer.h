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
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include <ATen/core/Tensor.h>

#include "core/config/config.h"
#include "core/plugin/negative_sampler.h"
#include "core/plugin/score_function.h"
#include "core/train/loss.h"
#include "core/train/model.h"
#include "core/train/progress.h"

namespace marius {

struct EpochResult {
  double loss = 0;          // summed over edges (mean reduction: mean over batches)
  int64_t edges = 0;
  double seconds = 0;
  double edges_per_sec = 0;
};

// Time spent in each part of a batch, summed over workers (seconds).
struct StepTimes {
  double sample = 0, gather = 0, forward = 0, loss = 0, backward = 0, update = 0;
};

class Trainer {
 public:
  // `train_edges` int64 [E,3]; `degrees` int64 [num_nodes].
  Trainer(const Config& config, Model& model, at::Tensor train_edges, at::Tensor degrees, const ScoreFunction& score,
          const NegativeSampler& sampler);
  ~Trainer();

  // Trains epoch `epoch` (0-based). Throws the first error of any worker after
  // all workers stopped.
  EpochResult train_epoch(int64_t epoch, Progress* progress);

  const StepTimes& last_times() const { return times_; }

 private:
  struct Worker;
  double train_batch(const at::Tensor& batch, uint64_t seed, Worker& worker);

  const Config& config_;
  Model& model_;
  at::Tensor edges_;
  at::Tensor degrees_;
  at::Tensor node_ranges_;  // int64 [1,2]: every node is resident in memory
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
