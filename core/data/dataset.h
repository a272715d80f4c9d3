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

namespace marius {

class Dataset {
 public:
  // Opens and validates a dataset directory: the header's magic, version and
  // counts, and the presence and sizes of every file. Throws Error naming the
  // directory and the file at fault (NOT_FOUND, or INVALID_ARGUMENT for a
  // corrupt or truncated file, or a directory whose writing never finished).
  static Dataset open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const DatasetInfo& info() const { return info_; }

  // The edges of a split as int64 [E, 3] (head, relation, tail), relation 0 for
  // plain graphs. An empty split gives a [0, 3] tensor.
  at::Tensor edges(Split split) const;
  // Degrees over the training edges (in + out), int64 [num_nodes].
  at::Tensor degrees() const;
  // Original ids, indexed by dense id.
  std::vector<std::string> node_names() const;
  std::vector<std::string> relation_names() const;

 private:
  std::filesystem::path dir_;
  DatasetInfo info_;
};

}  // namespace marius
