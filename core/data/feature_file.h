// core/data/feature_file.h - a dataset's features.bin (node_data.h) read row
// ranges at a time, for tables larger than memory, and written a block of
// rows at a time.
//
// Out of core the feature table is never read whole: the feature pages of a
// partition buffer (core/storage/feature_pages.h) read a partition's rows,
// which are one contiguous range after preprocessing with --partitions, and
// streaming evaluation gathers the rows a batch samples. Reads go through
// pread on one descriptor, so they may run from several threads at once, and
// use the page cache but no mapping: the process's resident memory holds only
// what the caller keeps. float16 files are widened to float32 as they are read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include <ATen/core/Tensor.h>

#include "core/data/binary_file.h"

namespace marius {

// Divides each row of float32 `rows` [n, F] by its L1 norm (at least 1e-12),
// in place: model.normalize_features, wherever feature rows are read.
at::Tensor& l1_normalize_rows(at::Tensor& rows);

class FeatureFile {
 public:
  // Opens `file` and checks its header against `num_nodes` rows. Throws
  // Error naming the file.
  static FeatureFile open(const std::filesystem::path& file, int64_t num_nodes);

  int64_t rows() const { return rows_; }
  int64_t dim() const { return dim_; }
  bool float16() const { return float16_; }
  const std::filesystem::path& path() const { return *path_; }
  // Bytes one row takes in the file.
  uint64_t row_bytes() const { return static_cast<uint64_t>(dim_) * (float16_ ? 2 : 4); }

  // Rows [first, first + count) as float32 into `out` (count x dim floats,
  // row-major); a float16 file is read and widened 16 MB at a time. Throws
  // Error naming the file on a short read.
  void read_range(int64_t first, int64_t count, float* out) const;
  // The rows of `ids` (int64 node ids in [0, rows), any order, repeats
  // allowed), float32 [n, dim]: read in id order, runs of adjacent ids read
  // at once.
  at::Tensor gather(const at::Tensor& ids) const;

 private:
  std::shared_ptr<const std::filesystem::path> path_;
  std::shared_ptr<const int> fd_;  // closed with the last copy
  int64_t rows_ = 0, dim_ = 0;
  bool float16_ = false;
};

// Writes features.bin `rows` x `dim` from float32 blocks of rows, stored as
// float32 or float16; close() checks every row came, and fsyncs unless the
// file is scratch (`sync` false: streaming inference's layer outputs).
class FeatureFileWriter {
 public:
  FeatureFileWriter(const std::filesystem::path& file, int64_t rows, int64_t dim, bool float16);
  void append(const float* data, int64_t count);
  void close(bool sync = true);

 private:
  BinaryWriter out_;
  int64_t rows_, dim_, written_ = 0;
  bool float16_;
};

}  // namespace marius
