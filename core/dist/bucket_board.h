// core/dist/bucket_board.h - the shared state of one epoch's edge buckets in
// distributed link prediction (docs/distributed.md, PyTorch-BigGraph's lock
// server): which buckets are left, which worker trains which, which worker
// holds which node partitions, and which partitions were written to the
// working generation this epoch (with their CRC-32).
//
// A value with a text form: BucketService keeps it in the rendezvous store
// and changes it by compare-and-set, so every change is one atomic step over
// the whole board. Invariants: a bucket is granted to one worker at a time and
// finished once; no two workers hold the same partition; a worker holds the
// partitions of at most one bucket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace marius {

// A unit of work the board grants: one buffer state of the ordering plugin's
// plan, its partitions (held by one worker while it trains) and its buckets
// (ids i * p + j).
struct BoardUnit {
  std::vector<int32_t> partitions;
  std::vector<int32_t> buckets;
};

class BucketBoard {
 public:
  // Epoch `epoch` of p partitions: all p * p buckets left, nothing held.
  BucketBoard(int64_t epoch, int32_t p);
  // Throws Error(INTERNAL) on a text that is not a board.
  static BucketBoard parse(const std::string& text);
  std::string text() const;

  int64_t epoch() const { return epoch_; }
  int32_t partitions() const { return p_; }
  // Raised by every change: a board's text never repeats.
  int64_t version() const { return version_; }

  // Grants `rank` the first unit of `units` (the plan's states, in order;
  // every bucket in one unit) that has buckets, none of them granted yet, and
  // partitions no worker holds; marks its buckets granted and its partitions
  // held by `rank`. Returns the unit's index, or nullopt when none can be
  // granted now. REQUIRES: `rank` holds nothing.
  std::optional<size_t> grant(int32_t rank, const std::vector<BoardUnit>& units);
  // `rank` trained `unit` and wrote its partitions with `crcs` (one per
  // unit.partitions): its buckets are done, its partitions free. Throws
  // Error(INTERNAL) unless `rank` holds it.
  void finish(int32_t rank, const BoardUnit& unit, const std::vector<uint32_t>& crcs);
  // A worker failed: every other worker stops, quoting `why`.
  void mark_failed(const std::string& why);

  int64_t left() const;     // buckets not granted yet
  int64_t running() const;  // granted, not finished
  const std::string& failure() const { return failure_; }
  // The worker that holds partition k, or -1.
  int32_t holder(int32_t k) const { return holder_[k]; }
  // Partition k's CRC in the working generation, when written this epoch.
  std::optional<uint32_t> written(int32_t k) const;
  bool finished(int32_t bucket) const { return done_[bucket] != 0; }
  // "rank 1 holds partitions 3, 5" for every worker holding partitions; "" when none does.
  std::string describe_holders() const;

 private:
  int64_t epoch_;
  int32_t p_;
  int64_t version_ = 0;
  std::vector<int32_t> trainer_;  // by bucket: the worker granted it, -1 while left
  std::vector<char> done_;        // by bucket
  std::vector<int32_t> holder_;   // by partition: the worker holding it, -1
  std::vector<int64_t> crc_;      // by partition: CRC written this epoch, -1 when not written
  std::string failure_;
};

}  // namespace marius
