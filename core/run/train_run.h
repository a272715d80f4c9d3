// core/run/train_run.h - what Session::train takes and reports.
//
// Session::train (train_run.cpp) is the one owner of a training run: the epoch
// loop, validation after each epoch (evaluation.every_epoch), the checkpoint
// cadence (output.checkpoint_every_epoch; always the last epoch of a call and
// every epoch out of core), the records of metrics.jsonl, interruption (Ctrl-C)
// and the refusal to go on once a value became non-finite. The CLI and the C
// embedding API only present what it reports through a TrainObserver.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/run/scheduler.h"
#include "core/tasks/link_prediction/evaluator.h"

namespace marius {

struct TrainOptions {
  int64_t epochs = -1;              // epochs to train in this call; -1: up to training.epochs
  std::FILE* progress = nullptr;    // a progress line (bar, edges/s, loss, ETA) on this stream; null: none
  bool test_at_end = false;         // evaluate the test split after the last epoch (and record it)
};

// One finished epoch.
struct EpochReport {
  int64_t epoch = 0;   // 1-based
  int64_t last = 0;    // the last epoch this call trains (1-based)
  EpochResult result;
  double mean_loss = 0;              // per edge (sum reduction) or per batch (mean)
  std::optional<RankMetrics> valid;  // validation after the epoch, when configured
  bool saved = false;                // the checkpoint now holds this epoch
  nlohmann::ordered_json record;             // the line written to metrics.jsonl
};

struct TrainReport {
  int64_t epochs_trained = 0;  // by this call
  int64_t epochs_done = 0;     // in total
  bool stopped = false;        // the observer asked to stop early
  EpochResult last;            // the last epoch's result (zero when none ran)
  double last_mean_loss = 0;
  double train_seconds = 0;    // summed epoch time
  double checkpoint_seconds = 0;
  double edges_per_sec = 0;    // mean over epochs, the first left out when more than one ran
  std::optional<RankMetrics> test;
  nlohmann::ordered_json summary;      // the summary line written to metrics.jsonl
};

// Hears of a training run's progress; every method has a do-nothing default.
// Called on the thread that called Session::train, except batches_done.
class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  // Before epoch `epoch` (1-based) of `last`, which trains `edges` edges.
  virtual void epoch_started(int64_t epoch, int64_t last, int64_t edges) {}
  // After each batch's update, on a worker thread, never twice at once:
  // edges done so far in the epoch, of `total`, and their summed loss. Must
  // not throw.
  virtual void batches_done(int64_t done, int64_t total, double loss_sum) {}
  // After each epoch, its validation and its checkpoint.
  virtual void epoch_finished(const EpochReport& report) {}
  // Asked after each epoch's report: true stops the run there.
  virtual bool stop_after_epoch() { return false; }
};

}  // namespace marius
