// core/dist/cluster.h - the workers of a distributed run, joined through
// torch c10d (docs/distributed.md): a TCPStore served by rank 0 for the
// rendezvous (and for coordination beyond collectives), and a Gloo process
// group for collectives over TCP.
//
// Joining is all or nothing: every worker waits (up to the timeout) for all
// of them to connect, then each publishes what the workers must agree on (the
// configuration, the dataset's fingerprint) and checks every other worker's;
// a difference is an error on every worker, naming the worker and the first
// line that differs. Any failure of c10d or Gloo (a peer that never comes, one
// that dies, a timeout) is an Error naming the rendezvous address and this
// worker's rank; no c10d exception leaves this class.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/dist/world.h"

namespace marius {

// Something every worker must have the same of: a name ("config",
// "dataset") and its text; differences are reported by line.
struct Agreement {
  std::string name;
  std::string text;
};

// Traffic of this worker's collectives. Bytes follow Gloo's ring all-reduce:
// each worker sends and receives 2 (n - 1) / n of the tensor (n workers).
struct CommStats {
  int64_t collectives = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  double seconds = 0;  // waiting on collectives (their whole duration)
  // The rendezvous store used as a key-value service (store_get, ...):
  // operations, the bytes of keys and values each way, and their seconds.
  int64_t store_ops = 0;
  uint64_t store_bytes_sent = 0;
  uint64_t store_bytes_received = 0;
  double store_seconds = 0;
};

// Whether this build has c10d with Gloo (CMake found libgloo-dev and
// LibTorch's c10d headers). Without it join() fails with UNSUPPORTED.
bool distributed_available();

class Cluster {
 public:
  // Joins `world` (world.distributed()), waiting up to `timeout` for every
  // worker at each step. Throws Error: UNSUPPORTED without c10d,
  // INVALID_ARGUMENT when an agreement differs, IO when the rendezvous or the
  // process group fails (a peer missing, unreachable or gone; a timeout).
  static std::unique_ptr<Cluster> join(const WorldSpec& world, const std::vector<Agreement>& agreements,
                                       std::chrono::milliseconds timeout);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const WorldSpec& world() const;
  int32_t rank() const { return world().rank; }
  int32_t world_size() const { return world().world_size; }

  // Sums `tensor` (CPU, contiguous, float32, float64 or int64) over the
  // workers, in place. Every worker must call it with the same shape.
  void all_reduce_sum(at::Tensor& tensor);
  // Starts summing `tensor` (as all_reduce_sum) and returns at once; the sum
  // is in `tensor` when wait() returns. Started sums complete in the order
  // they were started, on every worker alike.
  struct PendingSum;
  std::shared_ptr<PendingSum> start_all_reduce_sum(const at::Tensor& tensor);
  void wait(PendingSum& pending);
  // Returns once every worker has called it.
  void barrier();

  // The rendezvous store (rank 0's TCPStore) as a key-value service, for
  // coordination that is not a collective: any worker, any time, from any
  // thread (c10d serialises the calls).
  // store_get waits up to the timeout for `key` to exist.
  std::string store_get(const std::string& key);
  void store_set(const std::string& key, const std::string& value);
  // Atomically: when `key` holds `expected` (or is absent and `expected` is
  // empty) it is set to `desired`. Returns what `key` holds afterwards (equal
  // to `desired` when this call or another one set it).
  std::string store_compare_set(const std::string& key, const std::string& expected, const std::string& desired);
  // Adds `delta` to the counter `key` (absent: 0) and returns the sum.
  int64_t store_add(const std::string& key, int64_t delta);
  // Whether `key` exists, without waiting.
  bool store_check(const std::string& key);
  // The timeout every wait of this cluster observes (distributed.timeout).
  std::chrono::milliseconds timeout() const;
  // The traffic since the last call (or since joining).
  CommStats take_stats();

  struct Impl;

 private:
  explicit Cluster(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Where two agreements' texts first differ: "line 3: `a` here, `b` on rank 1",
// or "" when they are equal.
std::string first_difference(const std::string& here, const std::string& there, int32_t there_rank);

}  // namespace marius
