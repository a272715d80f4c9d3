// core/datasets/ndarray.h - numpy arrays as the datasets' files hold them:
// element types, shapes, and elements read as int64 or double whatever their
// type (pickled arrays in memory, .npy files memory-mapped).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace marius {

// True for the element types read: "<" or "|", then b, u or i with 1, 2, 4 or
// 8 bytes, or f with 2, 4 or 8 ("<i8", "<f4", "|b1", ...).
bool is_plain_descr(const std::string& descr);

// The product of the dimensions, or -1 when one is negative or the product
// exceeds `limit` (checked before each multiplication, so it never overflows).
int64_t checked_elements(const std::vector<int64_t>& shape, int64_t limit);

// One element at `p` of type `descr` as int64 (integers, booleans, and floats
// holding whole numbers) or as double (integers, booleans, float32, float64).
// Throws Error(INVALID_ARGUMENT) naming `where` for another type or value.
int64_t element_as_int(const char* p, const std::string& descr, const std::string& where);
double element_as_double(const char* p, const std::string& descr, const std::string& where);

// A numpy array (or a torch tensor, read as one): element type as numpy writes
// it ("<i8", "<f4", "|b1", ...), shape, and the elements in C order.
struct NdArray {
  std::string descr;
  std::vector<int64_t> shape;
  std::string data;  // raw little-endian elements, C order
  int64_t elements() const;
  int64_t item_bytes() const;  // from descr; 0 for a descr is_plain_descr refuses
  // Element i as int64 / double, whatever the integer, float or bool type
  // (throws Error(INVALID_ARGUMENT) naming `where` for another type).
  int64_t int_at(int64_t i, const std::string& where) const;
  double float_at(int64_t i, const std::string& where) const;
};

}  // namespace marius
