// core/run/task.h - what the epoch scheduler trains: a task, fed segments.
//
// The scheduler (scheduler.h) decides which node rows are resident and which
// training examples run over them, and hands each run of batches forward as a
// Segment; run_segment() (step.h) sends the segment's batches through the
// pipeline's stages, which call the task's load, compute and update. A task
// knows what its batch is (link prediction: edges with their negatives), how
// it is loaded, its loss and its update; it does not know whether the table
// is the model's, a host buffer's or a device buffer's, nor how the stages are
// threaded. Everything a batch needs travels in the Segment and the batch.
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/core/Tensor.h>
#include <nlohmann/json_fwd.hpp>

#include "core/pipeline/pipeline.h"

namespace marius {

struct Adjacency;

// The node rows a segment's batches read and update: the model's tables, or a
// partition buffer's slab, on the training device; the rest is on the host.
struct NodeTable {
  at::Tensor embeddings, state;  // float32 [rows, D], on the training device
  at::Tensor node_ranges;        // int64 [k, 2]: rows negatives are drawn from
  at::Tensor degrees;            // int64 [rows]
  at::Tensor global_ids;         // int64 [rows] node id of each row; undefined: the row is the id
  // Out of core, the node features of the rows (float32 [rows, F]: the
  // feature pages of the resident partitions, read-only); undefined: the
  // task's own whole feature table, indexed by node id.
  at::Tensor features;
  // The neighbourhoods of the rows, in row ids, for tasks that sample them
  // (Task::samples_neighbourhoods): out of core the training edges among the
  // resident partitions only; null: the task's own whole-graph adjacency.
  const Adjacency* adjacency = nullptr;
};

// One run of batches over one table: the scheduler's unit of work.
struct Segment {
  int64_t epoch = 0;             // 0-based
  int64_t first_batch = 0;       // number, within the epoch, of the segment's first batch
  const NodeTable* table = nullptr;
  at::Tensor examples;           // the task's training examples, node ids as rows of `table`
                                 // (link prediction: edges int64 [E, 3]; node
                                 // classification: nodes int64 [n, 1])
  at::Tensor order;              // int64 [E]: the order in which they train
};

// Time spent in each part of a batch, summed over workers (seconds): sample and
// gather are the load stage, forward/loss/backward the compute stage, update
// the update stage (and the relation update in compute).
struct StepTimes {
  double sample = 0, gather = 0, forward = 0, loss = 0, backward = 0, update = 0;
  StepTimes& operator+=(const StepTimes& o) {
    sample += o.sample, gather += o.gather, forward += o.forward;
    loss += o.loss, backward += o.backward, update += o.update;
    return *this;
  }
  // {"sample": …, "gather": …, …}: the "time_split" of a metrics.jsonl record (metrics_file.cpp).
  nlohmann::ordered_json json() const;
};

// A batch on its way through the stages; the task's own batch derives from it.
struct TaskBatch : Pipeline::Batch {
  int64_t number = 0;         // within the epoch
  int64_t examples = 0;       // real examples (the rest is padding)
  double loss = 0;            // set by compute
  int64_t gradient_rows = 0;  // node-gradient rows compute produced
};

class Task {
 public:
  virtual ~Task() = default;

  // Batches that `segment` is cut into.
  virtual int64_t num_batches(const Segment& segment) const = 0;

  // The stages (docs/pipeline.md); `worker` is the calling worker's index
  // within its stage. load builds batch `index` (0-based within the segment);
  // compute takes its loss and gradients; update applies them to the node
  // rows of the batch's table. Each may throw: Error(NON_FINITE) names the
  // epoch, the batch and what became NaN or infinite.
  virtual std::unique_ptr<TaskBatch> load(const Segment& segment, int64_t index, uint32_t worker) = 0;
  virtual void compute(TaskBatch& batch, uint32_t worker) = 0;
  virtual void update(TaskBatch& batch, uint32_t worker) = 0;

  // The time split since the last call, summed over workers; resets it.
  // REQUIRES: no segment in progress.
  virtual StepTimes take_times() = 0;

  // True when load samples the neighbourhoods of a batch's nodes (a GNN
  // encoder): out of core the scheduler then gives each segment's table the
  // adjacency of the resident partitions (NodeTable::adjacency).
  virtual bool samples_neighbourhoods() const { return false; }

  // Adds the task's own figures since the last call to an epoch's
  // metrics.jsonl record (a GNN task: how its dense parameters were updated);
  // resets them. REQUIRES: no segment in progress.
  virtual void add_epoch_figures(nlohmann::ordered_json& record) {}
};

}  // namespace marius
