// core/storage/table_source.h - partitions as row ranges of host tables: the
// tier below the device tier.
//
// In memory the tables are the model's (partition k at rows offsets[k]...);
// out of core they are the host buffer's slab, partition k at its slot's rows
// for as long as the host buffer keeps it resident. A partition with no rows
// assigned (first row -1) is not in this tier: reading or writing it is an
// internal error.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/storage/partition_source.h"

namespace marius {

class TableSource : public PartitionSource {
 public:
  // `embeddings`, `state`: float32 [rows, D], contiguous. `rows`: each
  // partition's row count (all p of them, resident or not).
  TableSource(at::Tensor embeddings, at::Tensor state, std::vector<int64_t> rows);

  // Where each partition starts in the tables (-1: not in this tier). Call
  // only while no buffer reads or writes through this source.
  void place(std::vector<int64_t> first_rows);

  int32_t num_partitions() const override { return static_cast<int32_t>(rows_.size()); }
  int64_t dim() const override { return embeddings_.size(1); }
  int64_t rows(int32_t k) const override { return rows_[static_cast<size_t>(k)]; }
  int64_t max_rows() const override { return max_rows_; }
  void read_into(int32_t k, at::Tensor& embeddings, at::Tensor& state) override;
  void write_from(int32_t k, const at::Tensor& embeddings, const at::Tensor& state) override;

 private:
  int64_t first_row(int32_t k) const;

  at::Tensor embeddings_, state_;
  std::vector<int64_t> rows_;
  std::vector<int64_t> first_rows_;
  int64_t max_rows_ = 0;
};

}  // namespace marius
