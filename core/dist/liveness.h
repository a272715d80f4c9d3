// core/dist/liveness.h - whether the other workers are still there, for
// waits that may legitimately last long (a worker training a large buffer
// state, rank 0 creating the partition files or evaluating).
//
// Each worker runs a heartbeat: a thread that adds 1 to the store's counter
// marius/alive/<rank> every second. wait_until() polls a condition and fails
// only when a worker it depends on has been silent (no heartbeat) for the
// cluster's timeout: a worker that died, or whose process stopped, is named
// within distributed.timeout; one that only works long is waited for.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/dist/cluster.h"

namespace marius {

class Liveness {
 public:
  // Starts this worker's heartbeat.
  explicit Liveness(Cluster& cluster);
  ~Liveness();
  Liveness(const Liveness&) = delete;
  Liveness& operator=(const Liveness&) = delete;

  // Polls `ready` until it returns true; each call also names the ranks the
  // wait depends on now (`waiting_on`). Throws Error(IO) naming `what` once a
  // rank it depends on has been silent (no heartbeat) for the cluster's
  // timeout.
  void wait_until(const std::function<bool(std::vector<int32_t>& waiting_on)>& ready, const std::string& what);

 private:
  void beat();

  Cluster& cluster_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace marius
