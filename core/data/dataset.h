// core/data/dataset.h - a preprocessed dataset directory (docs/formats.md).
//
// `marius-run preprocess` and `marius-run generate` write it; training,
// evaluation, export and predict read it. Node and relation ids are dense
// (0..n-1); the directory also keeps the original ids, so outputs can be keyed
// by them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/data/dataset_info.h"  // Split, split_name, DatasetInfo
#include "core/data/partitioning.h"

namespace marius {

class Dataset {
 public:
  // Opens and validates a dataset directory: the header's magic, version and
  // counts, the presence and sizes of every file, and train.buckets in full
  // (its partition offsets follow partitioning.h's rule, its bucket offsets
  // never decrease and add up to the training edges). What is not checked here,
  // because it means reading every edge, is checked by edges(): ids in range
  // and every training edge inside its bucket's partitions. Throws Error naming
  // the directory and the file at fault (NOT_FOUND, or INVALID_ARGUMENT for a
  // corrupt or truncated file, or a directory whose writing never finished).
  static Dataset open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const DatasetInfo& info() const { return info_; }  // info().num_partitions: 1 when unpartitioned

  // Partitions and buckets (partitioning.h): partition k holds the nodes
  // [partition_offsets()[k], partition_offsets()[k + 1]) (p + 1 entries; {0, n}
  // when unpartitioned); bucket b = i * p + j (head partition i, tail partition
  // j) holds the training edges [bucket_offsets()[b], bucket_offsets()[b + 1])
  // (p * p + 1 entries; {0, E} when unpartitioned).
  const std::vector<int64_t>& partition_offsets() const { return partition_offsets_; }
  const std::vector<int64_t>& bucket_offsets() const { return bucket_offsets_; }
  // Rows of the largest partition (all nodes when unpartitioned): a buffer slot.
  int64_t largest_partition_rows() const;
  // The partition of a node, 0 <= node < num_nodes (not checked).
  int64_t partition_of(int64_t node) const { return partitioning_.partition_of(node); }

  // The edges of a split as int64 [E, 3] (head, relation, tail), relation 0 for
  // plain graphs. An empty split gives a [0, 3] tensor. Same as
  // edges(split, 0, E).
  at::Tensor edges(Split split) const;
  // Edges [begin, end) of a split as int64 [end - begin, 3], reading only those
  // bytes of the file (e.g. one bucket: the bucket_offsets() of b and b + 1).
  // Checks that every id is in range and, for the training split, that every
  // edge lies in the bucket its position belongs to; throws
  // Error(INVALID_ARGUMENT) naming the file and the edge otherwise, and
  // Error(OUT_OF_RANGE) unless 0 <= begin <= end <= E. Safe to call from
  // several threads at once (each call opens the file itself).
  at::Tensor edges(Split split, int64_t begin, int64_t end) const;
  // Degrees over the training edges (in + out), int64 [num_nodes].
  at::Tensor degrees() const;
  // Original ids, indexed by dense id.
  std::vector<std::string> node_names() const;
  std::vector<std::string> relation_names() const;

 private:
  std::filesystem::path dir_;
  DatasetInfo info_;
  NodePartitioning partitioning_;
  std::vector<int64_t> partition_offsets_;
  std::vector<int64_t> bucket_offsets_;
};

}  // namespace marius
