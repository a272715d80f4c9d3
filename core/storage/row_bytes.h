// core/storage/row_bytes.h - the bytes one node row takes wherever node tables
// are stored or budgeted (partition files, partition buffers, the device tier):
// its embedding and its Adagrad state, dim float32 values each
// (docs/formats.md, "Partition files").
#pragma once

#include <cstdint>

namespace marius {

// 2 tables (embedding, Adagrad state) x 4 bytes (float32) x dim.
inline constexpr uint64_t node_row_bytes(int64_t dim) {
  return 2 * sizeof(float) * static_cast<uint64_t>(dim);
}

}  // namespace marius
