#include "core/storage/table_source.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "core/error.h"

namespace marius {

TableSource::TableSource(at::Tensor embeddings, at::Tensor state, std::vector<int64_t> rows)
    : embeddings_(std::move(embeddings)), state_(std::move(state)), rows_(std::move(rows)) {
  for (int64_t n : rows_) max_rows_ = std::max(max_rows_, n);
  first_rows_.assign(rows_.size(), -1);
}

void TableSource::place(std::vector<int64_t> first_rows) {
  if (first_rows.size() != rows_.size()) {
    fail(MARIUS_ERR_INTERNAL, "table source: {} first rows for {} partitions", first_rows.size(), rows_.size());
  }
  for (size_t k = 0; k < rows_.size(); ++k) {
    if (first_rows[k] >= 0 && first_rows[k] + rows_[k] > embeddings_.size(0)) {
      fail(MARIUS_ERR_INTERNAL, "table source: partition {} at row {} overruns the table's {} rows", k, first_rows[k],
           embeddings_.size(0));
    }
  }
  first_rows_ = std::move(first_rows);
}

int64_t TableSource::first_row(int32_t k) const {
  if (k < 0 || k >= num_partitions() || first_rows_[static_cast<size_t>(k)] < 0) {
    fail(MARIUS_ERR_INTERNAL, "table source: partition {} is not in the tier below", k);
  }
  return first_rows_[static_cast<size_t>(k)];
}

void TableSource::read_into(int32_t k, at::Tensor& embeddings, at::Tensor& state) {
  const int64_t first = first_row(k);
  embeddings.copy_(embeddings_.narrow(0, first, rows(k)));
  state.copy_(state_.narrow(0, first, rows(k)));
}

void TableSource::write_from(int32_t k, const at::Tensor& embeddings, const at::Tensor& state) {
  const int64_t first = first_row(k);
  embeddings_.narrow(0, first, rows(k)).copy_(embeddings);
  state_.narrow(0, first, rows(k)).copy_(state);
}

}  // namespace marius
