// core/run/bucket_grants.h - where a partitioned epoch's buckets come from
// when several workers share the partition files (distributed link
// prediction, docs/distributed.md): one bucket at a time, as a lock service
// grants it, instead of the ordering plugin's whole plan: a state of that
// plan (its partitions and buckets) at a time, when no other worker holds its
// partitions.
//
// Protocol, on the thread that trains (EpochScheduler): start_epoch, then
// next() / finished() for each bucket granted until next() returns nullopt,
// then finish_epoch(). abandon() after an error anywhere in between.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/storage/plan.h"

namespace marius {

class BucketGrants {
 public:
  virtual ~BucketGrants() = default;
  // Epoch `epoch` (0-based) begins. `plan`: the ordering plugin's, the same on
  // every worker; its states, in order, are what grants hand out.
  virtual void start_epoch(int64_t epoch, const Plan& plan) = 0;
  // The index in the plan of the next state this worker trains; its
  // partitions are readable from the partition files when it returns. Waits
  // while every state left has a partition another worker holds. nullopt:
  // none is left for this epoch.
  virtual std::optional<size_t> next() = 0;
  // The state next() returned was trained and its partitions written back to
  // the files: hands them on.
  virtual void finished() = 0;
  // Every bucket of this worker is done: waits for the other workers.
  virtual void finish_epoch() = 0;
  // Training failed on this worker: tells the others (never throws).
  virtual void abandon(const std::string& why) noexcept = 0;
};

}  // namespace marius
