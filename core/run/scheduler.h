// core/run/scheduler.h - the epoch scheduler: which node rows are resident
// while which training examples run over them.
//
// In memory the whole table trains as one segment of shuffled edges. Out of
// core (Tiers::buffer given) the ordering plugin plans the epoch as buffer
// states; for each state the scheduler acquires its partitions from the
// partition buffer, hands the edges of the state's buckets (shuffled together,
// as buffer-local rows) forward as one segment whose negatives come only from
// the state's partitions, and releases the state once the segment's updates
// are applied, so the buffer can write back and swap. Loads wait on the buffer
// (acquire), never on the disk directly.
//
// The device tier (Tiers::device_capacity > 0): node rows train in a second
// partition buffer on Tiers::device, filled from the tier below (the model's
// tables in memory, the host buffer's slab out of core). Within each host state
// the ordering plugin plans the state's partitions again for the device's d
// slots; the scheduler runs those sub-states as above, and the device buffer
// writes every partition back before the host state is released. With d >= p
// in memory the whole table is one partition on the device. Relations move to
// the device for the epoch; the sampler and the filter run on the host.
//
// Node examples (Tiers::train_nodes, node classification): out of core each
// training node trains in one buffer state that holds its partition, on the
// state's table: one of a cover of the partitions, drawn at random each epoch
// (core/run/node_assignment.h); a state none of whose examples fell to it is
// skipped, reading nothing.
// Feature pages (Tiers::features) give each state's table the features of its
// partitions; with no partition buffer (features are a task's only node input)
// the pages alone make the tier, of Tiers::capacity partitions.
//
// Negative balancing (storage.balance_negatives) is the scheduler's too: each
// segment's table names the row ranges its negatives are drawn from.
//
// Randomness is a pure function of (seed, epoch, state), so an epoch started
// from a checkpoint draws what the uninterrupted run drew.
//
// Distributed link prediction (Tiers::grants): the lock service grants the
// plan's states one at a time, to the worker that asks first while no other
// holds its partitions; each trains as a buffer epoch of that one state (its
// partitions read, trained, written back), and the lock service hands the
// partitions on.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <nlohmann/json_fwd.hpp>
#include <c10/core/Device.h>

#include "core/config/config.h"
#include "core/plugin/ordering_policy.h"
#include "core/run/bucket_grants.h"
#include "core/run/step.h"
#include "core/run/task.h"
#include "core/storage/feature_pages.h"
#include "core/storage/partition_buffer.h"
#include "core/model/model.h"
#include "core/pipeline/pipeline.h"
#include "core/run/progress.h"

namespace marius {

class Dataset;

// Where node rows live while they train (docs/out-of-core.md).
struct Tiers {
  const Dataset* dataset = nullptr;          // bucketed training edges: out of core, or a partial device tier
  const OrderingPolicy* ordering = nullptr;  // plans the host buffer's and the device tier's epochs
  PartitionBuffer* buffer = nullptr;         // the host buffer over the partition files (out of core;
                                             // the model's embeddings are undefined then)
  c10::Device device = c10::kCPU;            // where batches compute
  int32_t device_capacity = 0;               // d: partitions of the device tier; 0: no device tier
  FeaturePages* features = nullptr;          // out of core: node features paged beside the buffer (or alone)
  int32_t capacity = 0;                      // partitions per state when `features` stands alone (no buffer)
  at::Tensor train_nodes;                    // node examples, int64 [n] (node classification), out of core
  // float32 [num_nodes]: each node's row length in the whole graph's adjacency.
  // A state's adjacency holds the resident partitions' edges only, but layers
  // are promised whole-graph degrees (marius/abi/layer.h): out of core, with a
  // task that samples neighbourhoods, each state's adjacency carries these.
  at::Tensor neighbourhood_degrees;
  // Distributed data parallelism, in memory: this worker trains shard `shard`
  // of `shards` of each epoch's shuffled examples (the order padded with its
  // first examples to a multiple of `shards`, as PyTorch's DistributedSampler,
  // then every shards-th from `shard`), so every worker runs as many batches.
  int32_t shard = 0;
  int32_t shards = 1;
  // Distributed link prediction, out of core: the states this worker trains
  // come one at a time from the lock service (bucket_grants.h) instead of the
  // whole plan.
  BucketGrants* grants = nullptr;
};

struct EpochResult {
  double loss = 0;          // summed over batches (see mean_loss)
  int64_t batches = 0;
  int64_t edges = 0;
  double seconds = 0;
  double edges_per_sec = 0;
  bool out_of_core = false;
  BufferStats io;           // out of core only
  BufferStats feature_io;   // feature pages: partitions of features read (never written)
  int64_t states = 0;       // out of core: buffer states of the plan
  int64_t states_trained = 0;  // out of core: states that trained examples (node examples skip some)
  bool device_tier = false;
  BufferStats device_io;    // device tier: its admissions and write-backs, summed over host states
  int64_t device_states = 0;  // device tier: sub-states trained
  PipelineStats pipeline;   // stage busy times, queue depths
  StepTimes times;          // the time split of the batches, summed over workers
  int64_t gradient_rows = 0;  // node-gradient rows the compute stage produced

  // The epoch's loss per edge (training.reduction = "sum") or per batch
  // ("mean": each batch's loss is already a mean over its edges).
  double mean_loss(Reduction reduction) const;
};

// {"swaps", "partitions_read", ..., "wait_seconds"}: the "io" of a metrics.jsonl record.
nlohmann::ordered_json io_json(const BufferStats& stats);

class EpochScheduler {
 public:
  // `train_edges` int64 [E,3] (undefined out of core: read by bucket);
  // `degrees` int64 [num_nodes]. `model` holds the relations (and, in
  // memory, the node tables) the epochs train.
  EpochScheduler(const Config& config, Model& model, at::Tensor train_edges, at::Tensor degrees, Tiers tiers);

  // Trains epoch `epoch` (0-based) of `task` through a pipeline of its own.
  // Throws the first error of any stage after every stage stopped;
  // Error(CANCELLED) after interrupt_requested().
  EpochResult train_epoch(Task& task, int64_t epoch, Progress* progress) const;

  const Tiers& tiers() const { return tiers_; }

 private:
  // The in-memory epoch on `table` (the model's, or its copy on the device).
  SegmentTotals train_in_memory(Pipeline& pipeline, Task& task, int64_t epoch, const NodeTable& table,
                                Progress* progress) const;
  // The in-memory epoch with the whole table as one partition on the device.
  EpochResult train_whole_on_device(Pipeline& pipeline, Task& task, int64_t epoch, Progress* progress) const;
  // A partitioned epoch (out of core, or in memory with a partial device
  // tier): scheduler_partitioned.cpp.
  EpochResult train_partitioned(Pipeline& pipeline, Task& task, int64_t epoch, Progress* progress) const;
  // The device tier's plan within one host state (`index`-th of the epoch).
  Plan device_plan(const BufferState& host, int64_t epoch, size_t index) const;

  const Config& config_;
  Model& model_;
  at::Tensor edges_;
  at::Tensor degrees_;
  Tiers tiers_;
};

}  // namespace marius
