// core/data/npy_format.h - NumPy's .npy header, written and read in one place.
//
// Export writes embeddings as .npy, preprocess reads node features from .npy,
// and `datasets fetch` writes converted features and reads OGB's arrays; all go
// through these functions. Only little-endian, C-order arrays are handled.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/binary_file.h"

namespace marius {

// The bytes before the data of a 2-D float32 C-order .npy of rows x cols
// (format 1.0), padded with spaces to a multiple of 64 bytes and to at least
// `min_bytes` (so that a header rewritten with the final row count keeps its
// length).
std::string npy_header(int64_t rows, int64_t cols, size_t min_bytes = 0);

struct NpyHeader {
  std::string descr;           // as the file names it: "<f4", "<i8", "|b1", ...
  std::vector<int64_t> shape;  // () is a scalar
  uint64_t data_offset = 0;    // where the elements start
};

// Reads the header from the start of `in` (format 1.0, 2.0 or 3.0). Throws
// Error(INVALID_ARGUMENT) naming the file for a file that is not a .npy, a
// header that runs past the end or is malformed, a Fortran-order array, or a
// negative dimension.
NpyHeader read_npy_header(BinaryReader& in);

}  // namespace marius
