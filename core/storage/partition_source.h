// core/storage/partition_source.h - where a partition buffer admits partitions
// from and writes evicted ones back to: the tier below it.
//
// Two tiers implement it: the partition files (PartitionStore, below the host
// buffer) and rows of host tables (TableSource, below the device tier: the
// model's in-memory tables, or the host buffer's slab).
//
// Threading: read() and write() of different partitions may run concurrently
// (a buffer's reader and writer threads); nothing else runs during an epoch.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "core/storage/row_bytes.h"

namespace marius {

class PartitionSource {
 public:
  virtual ~PartitionSource() = default;

  virtual int32_t num_partitions() const = 0;
  virtual int64_t dim() const = 0;
  // Rows (nodes) of partition k, and the largest partition's.
  virtual int64_t rows(int32_t k) const = 0;
  virtual int64_t max_rows() const = 0;
  // Bytes a read or write of partition k moves: embeddings and Adagrad state.
  uint64_t partition_bytes(int32_t k) const { return static_cast<uint64_t>(rows(k)) * node_row_bytes(dim()); }

  // Copies partition k into `embeddings` and `state`, float32 [rows(k), D]
  // contiguous views of the buffer's slab (on the buffer's device).
  virtual void read_into(int32_t k, at::Tensor& embeddings, at::Tensor& state) = 0;
  // Stores partition k from `embeddings` and `state` (as read_into's).
  virtual void write_from(int32_t k, const at::Tensor& embeddings, const at::Tensor& state) = 0;
};

}  // namespace marius
