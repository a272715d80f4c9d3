// core/model/node_rows.h - read access to a model's node embeddings, whether
// they are one table in memory or partitions in files (out of core).
//
// Evaluation, export and prediction go through this, so none of them loads a
// partitioned table whole: they visit it block by block (one block in memory,
// one per partition out of core) or gather the rows they need in one pass.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace marius {

class PartitionStore;

class NodeRows {
 public:
  // The table in memory, float32 [num_nodes, D]; not copied.
  explicit NodeRows(at::Tensor embeddings);
  // The committed partitions of `store`, read on demand. REQUIRES: no epoch runs.
  explicit NodeRows(PartitionStore& store);

  int64_t num_nodes() const { return offsets_.back(); }
  int64_t dim() const { return dim_; }
  int32_t num_blocks() const { return static_cast<int32_t>(offsets_.size()) - 1; }
  // Block k holds nodes [begin(k), begin(k + 1)).
  int64_t begin(int32_t k) const { return offsets_[k]; }
  // Embeddings of block k, float32 [rows, D]: a view in memory, read from the
  // partition file out of core (one partition in memory at a time).
  at::Tensor block(int32_t k) const;
  // Rows of `ids` (int64 [n]) as float32 [n, D]; out of core, reads each
  // partition holding any of them once.
  at::Tensor gather(const at::Tensor& ids) const;

 private:
  at::Tensor table_;                 // in memory
  PartitionStore* store_ = nullptr;  // out of core
  std::vector<int64_t> offsets_;
  int64_t dim_ = 0;
};

}  // namespace marius
