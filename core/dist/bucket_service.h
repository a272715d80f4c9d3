// core/dist/bucket_service.h - PyTorch-BigGraph's lock server on c10d: each
// epoch's BucketBoard lives in the rendezvous store, and every worker changes
// it by compare-and-set (one atomic step per grant or finish; no server
// thread of our own). docs/distributed.md, "Distributed link prediction".
//
// A worker that waits (every state left has a partition another worker
// holds, or the epoch's last states train elsewhere) polls the board; when a
// worker it waits for has sent no heartbeat for the cluster's timeout
// (liveness.h) it stops with an Error(IO) naming it: a worker that died or
// stopped. A worker that fails marks the board, and the others stop at their
// next look with its reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/dist/bucket_board.h"
#include "core/dist/cluster.h"
#include "core/dist/liveness.h"

namespace marius {

class BucketService {
 public:
  BucketService(Cluster& cluster, Liveness& liveness) : cluster_(cluster), liveness_(liveness) {}

  // Rank 0: posts epoch `epoch`'s board, every bucket left (before any worker
  // starts the epoch: at the start of the run, then as each epoch commits).
  void post(int64_t epoch, int32_t p);
  // This worker starts epoch `epoch` (its board posted).
  void start_epoch(int64_t epoch, int32_t p);
  // The next unit of `units` this worker may train (see BucketBoard::grant),
  // with the board as it granted it in `seen`; nullopt when no bucket is left.
  std::optional<size_t> next(const std::vector<BoardUnit>& units, BucketBoard* seen);
  // This worker trained `unit` and wrote its partitions with `crcs`.
  void finish(const BoardUnit& unit, const std::vector<uint32_t>& crcs);
  // Waits until every bucket of the epoch is trained, by whichever worker.
  void wait_done();
  // Marks the board failed with `why` (best effort; never throws).
  void abandon(const std::string& why) noexcept;
  // The board as it is now.
  BucketBoard board();

  // Seconds next() spent waiting for a grantable unit since the last call.
  double take_wait_seconds();

 private:
  std::string key() const { return key_of(epoch_); }
  static std::string key_of(int64_t epoch);
  // Applies `change` (returns false: nothing to change) to the board by
  // compare-and-set until it sticks; returns the board afterwards. Throws
  // Error(IO) when another worker marked the board failed.
  template <class Change>
  BucketBoard update(Change&& change);

  Cluster& cluster_;
  Liveness& liveness_;
  int64_t epoch_ = -1;
  int32_t p_ = 0;
  double wait_seconds_ = 0;
};

}  // namespace marius
