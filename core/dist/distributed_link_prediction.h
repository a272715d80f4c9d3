// core/dist/distributed_link_prediction.h - one worker's part in distributed
// link prediction, PyTorch-BigGraph's design on marius's storage
// (docs/distributed.md, "Distributed link prediction"):
//
// - the node partitions live in the partition files on a filesystem every
//   worker reaches (storage.dir, or output.dir/partitions); each worker trains
//   with its own partition buffer;
// - the buckets of an epoch are granted by the lock service (BucketService),
//   in the ordering plugin's order where partitions allow,
//   a buffer state of the ordering plugin's plan at a time (its partitions
//   and buckets), so no two workers hold the same partition; a worker writes
//   a state's partitions back, and makes them durable, before handing them on;
// - relation parameters are shared through RelationSync every k batches and
//   after every state;
// - at the end of an epoch rank 0 commits the partition files' working
//   generation (with every partition's CRC from the board) and writes the
//   checkpoint; the others adopt the generation it committed. With two
//   generations (storage.generations = 2, the default) a run killed at any
//   point resumes from that checkpoint on every worker: rank 0 reads it, the
//   others take its epoch, generation and relations.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dist/bucket_service.h"
#include "core/dist/cluster.h"
#include "core/dist/liveness.h"
#include "core/dist/relation_sync.h"
#include "core/run/bucket_grants.h"

namespace marius {

class PartitionStore;
struct Model;

class DistributedLinkPrediction : public BucketGrants {
 public:
  explicit DistributedLinkPrediction(Cluster& cluster);

  int32_t rank() const { return cluster_.rank(); }
  int32_t world_size() const { return cluster_.world_size(); }

  // Starting. Rank 0 creates (or restores) the partition files, then
  // publishes what it committed; the others wait for that before they open
  // the files, adopt the generation, and check they resume the same epoch.
  struct Files {
    int64_t epochs_done = 0;
    int32_t generation = -1;
    std::vector<uint32_t> crcs;
    bool resumed = false;  // from the checkpoint in output.dir (--resume)
  };
  void publish_files(const Files& files);
  Files wait_files();
  // Every worker, with the files open: rank 0's relation parameters become
  // every worker's; returns once every worker got there (a barrier), so a
  // worker that failed to start stops the others before they train.
  // `epochs_done`: the epoch training continues after (rank 0 posts the
  // next epoch's board).
  void start(PartitionStore& store, Model& model, int64_t epochs_done);

  // BucketGrants: the scheduler's side.
  void start_epoch(int64_t epoch, const Plan& plan) override;
  std::optional<size_t> next() override;
  void finished() override;
  void finish_epoch() override;
  void abandon(const std::string& why) noexcept override;

  // Shares the relation parameters now (RelationSync::push_pull): after every
  // k batches (distributed.relation_sync), from the compute stage, under the
  // relation table's lock.
  void sync_relations();

  // After finish_epoch on every worker: rank 0 commits the partition files
  // (every partition written this epoch, by whichever worker) and publishes
  // the generation; the others adopt it.
  void commit();

  // This worker's figures of the epoch for metrics.jsonl ("distributed"):
  // buckets trained (and which), waits, traffic.
  nlohmann::ordered_json take_figures();

 private:
  Cluster& cluster_;
  Liveness liveness_;  // this worker's heartbeat, from distribute() on
  BucketService buckets_;
  std::unique_ptr<RelationSync> relations_;
  PartitionStore* store_ = nullptr;
  int64_t epoch_ = -1;
  int32_t p_ = 0;
  std::vector<BoardUnit> units_;  // the plan's states, in order
  int64_t current_ = -1;          // the unit granted, until finished()
  std::vector<int32_t> trained_;  // this epoch's buckets, in order
  double relation_seconds_ = 0;
};

}  // namespace marius
