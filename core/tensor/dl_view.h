// core/tensor/dl_view.h - DLTensor views of host memory and of LibTorch tensors.
//
// A DLView borrows the memory it describes and owns only its shape and strides
// arrays. It is neither copyable nor movable, so the DLTensor's pointers into
// those arrays stay valid; make it where it is used.
#pragma once

#include <cstdint>
#include <vector>

#include <dlpack/dlpack.h>

namespace at {
class Tensor;
}

namespace marius {

inline constexpr DLDataType kFloat32{kDLFloat, 32, 1};
inline constexpr DLDataType kInt64{kDLInt, 64, 1};

class DLView {
 public:
  // A C-contiguous view of `data` (strides filled, byte_offset 0) in host memory.
  DLView(void* data, DLDataType dtype, std::vector<int64_t> shape);
  // A view of a tensor; throws Error(INVALID_ARGUMENT) unless it is contiguous
  // and of a dtype DLPack can name (float32, float64, int32, int64, uint8).
  explicit DLView(const at::Tensor& tensor);
  DLView(const DLView&) = delete;
  DLView& operator=(const DLView&) = delete;

  DLTensor* get() { return &tensor_; }
  const DLTensor* get() const { return &tensor_; }

 private:
  void bind();
  std::vector<int64_t> shape_;
  std::vector<int64_t> strides_;
  DLTensor tensor_{};
};

}  // namespace marius
