// core/storage/partition_buffer.h - a tier of c resident partitions (plus one
// prefetch slot) above a PartitionSource, admitted and evicted along an
// ordering plan, with IO on background threads.
//
// Two tiers use it: the host buffer (slab in host memory, over the partition
// files) and the device tier (slab on the training device, over host tables;
// see docs/out-of-core.md, "Three tiers").
//
// Memory: one slab of `slots` equal slots (slots = capacity, + 1 with
// prefetch), each max_rows x D embeddings and max_rows x D Adagrad state.
// A resident partition k in slot s occupies slab rows [s * max_rows,
// s * max_rows + rows(k)); training addresses node n of k as local row
// s * max_rows + (n - offsets[k]).
//
// Epoch protocol (one trainer thread calls these, in this order):
//   start_epoch(plan)         the reader thread starts loading state 0
//   acquire(0), release(0), acquire(1), release(1), ... for every state
//   finish_epoch()            waits for every write-back, returns the IO figures
// acquire(s) blocks until every partition of state s is resident and returns
// their slots; between acquire(s) and release(s) those partitions are pinned
// (never evicted). While state s trains, the reader loads the partitions state
// s + 1 admits into free slots (the prefetch slot, or slots freed by
// write-backs), and the writer writes back evicted partitions: after
// release(s), each resident partition that state s + 1 does not hold is written
// back (every resident partition counts as dirty: negatives update rows of any
// of them) and its slot freed. After the last state every partition is written
// back, so the partition files hold the whole epoch and nothing stays resident.
//
// Which slot a partition gets is a function of the plan alone, never of the
// order in which write-backs finish: start_epoch() assigns every admission a
// slot (the lowest free one, preferring slots free before the previous
// release, which the reader can fill while the state before trains), and the
// reader waits for that slot. Slots are the rows training addresses, and a GNN
// orders its adjacency rows by them: a run resumed from a checkpoint computes
// what the uninterrupted run computed.
//
// The slab lives on `device`; the source copies partitions in and out of it
// (a PartitionStore only to and from host memory).
//
// Errors: an IO error on either thread stops both and is rethrown by the next
// acquire/release/finish_epoch (the destructor joins the threads in any case).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "core/storage/plan.h"

namespace marius {

class PartitionSource;

// IO figures of one epoch.
struct BufferStats {
  int64_t partitions_read = 0;     // admissions, including the first state's
  int64_t partitions_written = 0;  // write-backs
  int64_t swaps = 0;               // partitions read after the first state
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  double read_seconds = 0;   // busy time of the reader thread
  double write_seconds = 0;  // busy time of the writer thread
  double wait_seconds = 0;   // time training waited on IO (acquire and the final drain)
};

class PartitionBuffer {
 public:
  // `capacity` >= 1 partitions; `prefetch` adds one slot so that the next
  // state's partition loads while the current state trains.
  PartitionBuffer(PartitionSource& source, int32_t capacity, bool prefetch, c10::Device device = c10::kCPU);
  ~PartitionBuffer();
  PartitionBuffer(const PartitionBuffer&) = delete;
  PartitionBuffer& operator=(const PartitionBuffer&) = delete;

  // Slots and slab bytes of a buffer of `capacity` partitions over `store`.
  static int32_t slots_for(const PartitionSource& source, int32_t capacity, bool prefetch);
  static uint64_t slab_bytes_for(const PartitionSource& source, int32_t capacity, bool prefetch);

  int32_t capacity() const { return capacity_; }
  int32_t slots() const { return slots_; }
  int64_t slot_rows() const { return slot_rows_; }
  uint64_t slab_bytes() const;
  c10::Device device() const { return embeddings_.device(); }
  at::Tensor& embeddings() { return embeddings_; }  // float32 [slots * slot_rows, D], on device()
  at::Tensor& state() { return state_; }

  // REQUIRES: the plan's capacity <= capacity(); no epoch running.
  void start_epoch(const Plan& plan);
  // The slot of every partition (-1 for those not resident); those of state s
  // are resident until release(s).
  std::vector<int32_t> acquire(size_t state);
  void release(size_t state);
  BufferStats finish_epoch();
  // Stops the IO threads without writing anything more back (after an error
  // elsewhere); the partition files keep their last committed generation.
  void abort() { stop_threads(); }

 private:
  enum class Where { kDisk, kLoading, kResident, kWriting };
  void reader_loop();
  void writer_loop();
  void fail_locked(std::exception_ptr error);
  void rethrow_locked();
  void stop_threads();

  PartitionSource& source_;
  int32_t capacity_;
  int32_t slots_;
  int64_t slot_rows_;
  at::Tensor embeddings_, state_;

  std::mutex mutex_;
  std::condition_variable changed_;
  const Plan* plan_ = nullptr;
  size_t ready_ = 0;     // states whose partitions are all resident
  size_t released_ = 0;  // states released by training
  std::vector<Where> where_;
  std::vector<int32_t> slot_of_;
  std::vector<bool> slot_free_;
  std::vector<std::vector<int32_t>> planned_;  // [state][i]: the slot for states[s].partitions[i]; -1: resident
  std::deque<int32_t> write_queue_;
  bool reader_done_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  BufferStats stats_;
  std::thread reader_, writer_;
};

}  // namespace marius
