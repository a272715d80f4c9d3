// core/data/partitioning.h - nodes in p contiguous partitions, training edges in
// p x p buckets (docs/formats.md, "Partitions and buckets").
//
// Partition k holds the dense node ids [offset(k), offset(k+1)) with
// offset(k) = floor(k * num_nodes / p): sizes differ by at most one, and with
// p <= num_nodes no partition is empty. Bucket (i, j) holds the training edges
// whose head is in partition i and tail in partition j; buckets are numbered
// row-major, b = i * p + j. Writers (preprocess, generate) and the reader
// (Dataset) all go through this class, so the rule lives in one place.
#pragma once

#include <cstdint>
#include <vector>

namespace marius {

// The most partitions a dataset may have: p * p buckets stay at most about a
// million, so train.buckets stays below 8 MiB and the bucket writer's
// bookkeeping bounded (bucket_writer.h).
inline constexpr int64_t kMaxPartitions = 1024;

// Throws Error(INVALID_ARGUMENT) naming --partitions unless
// 1 <= partitions <= kMaxPartitions and, when num_nodes >= 0, partitions <=
// num_nodes. (Pass num_nodes = -1 to check the constant bounds before the nodes
// are counted.)
void check_partitions(int64_t partitions, int64_t num_nodes);

class NodePartitioning {
 public:
  NodePartitioning() = default;  // one node, one partition
  // Requires 1 <= partitions <= min(num_nodes, kMaxPartitions) (check_partitions).
  NodePartitioning(int64_t num_nodes, int64_t partitions);

  int64_t num_nodes() const { return num_nodes_; }
  int64_t num_partitions() const { return partitions_; }
  int64_t num_buckets() const { return partitions_ * partitions_; }

  // floor(k * num_nodes / p), for 0 <= k <= p.
  int64_t offset(int64_t k) const;
  // All p + 1 offsets: {0, ..., num_nodes}.
  std::vector<int64_t> offsets() const;

  // The partition k with offset(k) <= node < offset(k + 1), for 0 <= node < num_nodes.
  int64_t partition_of(int64_t node) const {
    // offset(k) <= node  <=>  k * n < (node + 1) * p  <=>  k <= ((node + 1) * p - 1) / n.
    if (!wide_) return ((node + 1) * partitions_ - 1) / num_nodes_;
    using U = unsigned __int128;
    return static_cast<int64_t>((static_cast<U>(node + 1) * static_cast<U>(partitions_) - 1) /
                                static_cast<U>(num_nodes_));
  }
  // The bucket of an edge: partition_of(head) * p + partition_of(tail).
  int64_t bucket_of(int64_t head, int64_t tail) const { return partition_of(head) * partitions_ + partition_of(tail); }

 private:
  int64_t num_nodes_ = 1;
  int64_t partitions_ = 1;
  bool wide_ = false;  // num_nodes * p overflows int64: compute in 128 bits
};

}  // namespace marius
