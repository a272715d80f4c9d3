// core/storage/feature_pages.h - the node features of the resident partitions:
// the read-only tier beside a partition buffer (docs/out-of-core.md, "Node
// classification out of core").
//
// Feature rows never change, so they are read from features.bin (FeatureFile)
// and never written back. The pages use the slot layout of the partition
// buffer they stand beside (slots x slot_rows rows: partition k in slot s at
// rows [s * slot_rows, s * slot_rows + rows(k))), so one table row addresses a
// node's embedding and its features alike; without a partition buffer (a task
// whose only node input is features) they assign slots themselves, the way
// the buffer would: a partition stays in its slot while consecutive states
// hold it, and a new one takes the slot of one that left.
//
// load() reads the partitions of a state that are not already in their slot,
// one contiguous range each (after preprocessing with --partitions partition
// k's rows are [offsets[k], offsets[k+1])), on the calling thread, and
// optionally L1-normalises each row as it arrives (model.normalize_features).
// When the pages assign slots themselves, prefetch() reads the next state's
// new partitions on a background thread while the current state trains, into
// slots the current state does not use (a buffer of c partitions with
// storage.prefetch has c + 1 slots); assign() waits for it. One trainer thread
// calls everything, between segments; the background read writes only rows
// of slots no table row of the current state addresses.
#pragma once

#include <cstdint>
#include <future>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/data/feature_file.h"
#include "core/storage/partition_buffer.h"

namespace marius {

class FeaturePages {
 public:
  // `offsets`: the p + 1 partition offsets; `slots` x `slot_rows` rows (each
  // slot holds the largest partition). Allocates the slab: slots * slot_rows
  // * dim float32 (Error(OUT_OF_MEMORY) naming storage.buffer_capacity).
  FeaturePages(FeatureFile file, std::vector<int64_t> offsets, int32_t slots, int64_t slot_rows, bool normalize_rows);

  int32_t slots() const { return slots_; }
  int64_t slot_rows() const { return slot_rows_; }
  uint64_t slab_bytes() const { return static_cast<uint64_t>(slab_.numel()) * 4; }
  const at::Tensor& rows() const { return slab_; }  // float32 [slots * slot_rows, dim]

  // Slots for a state's `partitions` when no partition buffer assigns them
  // (one entry per partition, -1 for those not in the state): resident ones
  // keep theirs, the others take the slots of partitions not in `partitions`.
  // REQUIRES: partitions.size() <= slots().
  std::vector<int32_t> assign(const std::vector<int32_t>& partitions);
  // Makes the features of `partitions` resident in `slot` (as assign's, or a
  // partition buffer's acquire), reading those not already there.
  void load(const std::vector<int32_t>& partitions, const std::vector<int32_t>& slot);
  // Starts reading the partitions of `next` that are not resident, as many as
  // there are slots neither `current` nor `next` holds, in the background.
  // Only with self-assigned slots (assign()); the next assign() waits for it.
  void prefetch(const std::vector<int32_t>& current, const std::vector<int32_t>& next);
  // The IO since the last call (partitions_read; swaps: reads after the
  // epoch's first load; bytes_read; read_seconds: time spent reading;
  // wait_seconds: time training waited, all of a read on demand and what was
  // left of a background one); resets them and marks the next load as an
  // epoch's first.
  BufferStats take_stats();
  // Forgets what is resident (the next load reads every partition again).
  void clear();
  // After an error elsewhere: waits for a background read, drops its result
  // and any error it had, and forgets what is resident. Never throws.
  void abort() noexcept;
  ~FeaturePages();

 private:
  // Reads partition k into slot s and L1-normalises it when configured.
  void read(int32_t k, int32_t s);
  // Waits for the background read, if any, and books it.
  void finish_prefetch();
  FeatureFile file_;
  std::vector<int64_t> offsets_;
  int32_t slots_;
  int64_t slot_rows_;
  bool normalize_rows_;
  at::Tensor slab_;
  std::vector<int32_t> in_slot_;  // the partition each slot holds, -1: none
  bool first_load_ = true;
  bool self_assigned_ = false;  // assign() chose the slots: prefetch() may pick spare ones
  BufferStats stats_;
  std::vector<std::pair<int32_t, int32_t>> prefetching_;  // (partition, slot) being read in the background
  std::future<double> prefetch_;                          // its busy seconds
};

}  // namespace marius
