// core/pipeline/pipeline.h - training as stages with worker threads, bounded
// queues and bounded staleness.
//
//   admission -> load -> [queue] -> compute -> [queue] -> update
//
// load     picks a batch's edges, samples its negatives and gathers its node rows
// compute  forward, loss, backward; updates relation parameters (synchronously)
// update   applies the sparse optimizer to the node rows the batch touched
//
// (With a device, host->device and device->host transfers are stages of their
// own between these; the CPU build has none, see docs/pipeline.md.)
//
// Staleness: at most `staleness` (k) batches are in flight, counted from
// admission (before load) to the end of their update. A batch therefore reads
// node rows that miss the updates of at most k - 1 earlier batches. In sync
// mode the stages of one batch run inline on the caller's thread, one batch at a
// time (k = 1, no worker threads): the run is bit-for-bit reproducible when the
// stages are.
//
// Errors: the first exception of any stage stops every stage (queues close,
// waiters wake) and run() rethrows it on the caller's thread once every worker
// thread has stopped (nothing touches the caller's data after that); the pipeline can
// not run again. Cancellation (interrupt_requested(), e.g. Ctrl-C) stops
// admission; the batches in flight finish and run() throws Error(CANCELLED).
// The destructor joins every thread. Nothing sleeps or polls: threads wait on
// condition variables.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/config/choices.h"
#include "core/pipeline/bounded_queue.h"

namespace marius {

struct PipelineOptions {
  PipelineMode mode = PipelineMode::kPipelined;
  int64_t staleness = 4;        // k >= 1: batches in flight
  int64_t load_workers = 1;     // 0: each compute worker loads its own batches
  int64_t compute_workers = 2;  // >= 1
  int64_t update_workers = 1;   // 0: each compute worker applies its own batches' updates
  int64_t queue_size = 2;       // capacity of each queue between stages, >= 1
};

// Time one stage spent, over the time run() was active.
struct StageStats {
  int64_t workers = 0;
  bool inline_stage = false;  // run by the compute workers (0 workers of its own): workers = theirs
  int64_t batches = 0;
  double busy_seconds = 0;  // summed over workers, inside the stage function
  double idle_seconds = 0;  // workers x active seconds - busy: waiting on input, output or admission
  double busy_fraction = 0; // busy / (workers x active seconds)
};

struct PipelineStats {
  PipelineMode mode = PipelineMode::kPipelined;
  int64_t staleness = 1;
  double active_seconds = 0;      // summed duration of run() calls
  StageStats load, compute, update;
  QueueStats load_to_compute, compute_to_update;
  double admission_wait_seconds = 0;  // loaders blocked because k batches were in flight
  int64_t admitted = 0;
  double in_flight_mean = 0;          // batches in flight just after each admission
  int64_t in_flight_max = 0;

  // {"mode":..., "staleness":..., "stages":{...}, "queues":{...}, ...}
  nlohmann::ordered_json json() const;
  // "pipelined k=4: load 14% busy, compute 97%, update 25%; queues 1.3/2 1.1/2; in flight 3.8/4"
  std::string summary() const;
};

class Pipeline {
 public:
  // What flows between stages; the stages' own type derives from it.
  struct Batch {
    virtual ~Batch() = default;
    int64_t index = 0;  // 0-based within the run() that admitted it
  };
  // The stage functions of one run(); `worker` is the index of the calling
  // worker within its stage (0 in sync mode). Each may throw. Workers of one
  // stage run concurrently with each other and with the other stages.
  struct Stages {
    std::function<std::unique_ptr<Batch>(int64_t index, uint32_t worker)> load;
    std::function<void(Batch&, uint32_t worker)> compute;
    std::function<void(Batch&, uint32_t worker)> update;
  };

  // Starts the worker threads (none in sync mode); each first calls
  // `thread_start` when given (e.g. per-thread kernel settings; must not
  // throw). Throws Error on bad options.
  explicit Pipeline(const PipelineOptions& options, std::function<void()> thread_start = {});
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Runs batches 0..num_batches-1 through `stages` and returns once each
  // one's update has been applied (the stages, and whatever they capture, are
  // not used after that). Throws the first stage error, or Error(CANCELLED)
  // after an interrupt; after a throw every later run() throws again.
  void run(int64_t num_batches, const Stages& stages);

  PipelineStats stats() const;

 private:
  // A batch and the stages of the run that admitted it.
  struct Item {
    std::unique_ptr<Batch> batch;
    const Stages* stages = nullptr;
  };
  void load_loop(uint32_t worker);
  void compute_loop(uint32_t worker);
  void update_loop(uint32_t worker);
  void stop_with(std::exception_ptr error);
  // The next batch and its run's stages, once fewer than k are in flight; false: stopped.
  bool admit(int64_t* index, const Stages** stages);
  void retire();               // a batch's update is applied
  template <class Call>
  bool stage(StageStats& stats, Call&& call);  // timed; false after an exception (the pipeline stops)  // the first error stops every stage
  void add_busy(StageStats& stage, double seconds);
  void run_sync(int64_t num_batches, const Stages& stages);
  void shutdown();  // stops and joins every thread

  const PipelineOptions options_;
  const std::function<void()> thread_start_;
  BoundedQueue<Item> to_compute_, to_update_;

  mutable std::mutex mutex_;
  std::condition_variable admit_;  // loaders: a batch may be admitted, or stop
  std::condition_variable done_;   // run(): the run completed, or stop
  const Stages* stages_ = nullptr;  // of the run() in progress
  int64_t next_ = 0, end_ = 0, completed_ = 0, in_flight_ = 0;
  bool stop_ = false;      // an error or a cancel: no more admissions
  bool shutdown_ = false;  // the destructor: threads exit
  std::exception_ptr error_;
  PipelineStats stats_;
  int64_t in_flight_sum_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace marius
