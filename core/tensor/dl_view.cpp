#include "core/tensor/dl_view.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace marius {

DLView::DLView(void* data, DLDataType dtype, std::vector<int64_t> shape) : shape_(std::move(shape)) {
  tensor_.data = data;
  tensor_.device = DLDevice{kDLCPU, 0};
  tensor_.dtype = dtype;
  bind();
}

DLView::DLView(const at::Tensor& tensor) : shape_(tensor.sizes().vec()) {
  if (!tensor.is_contiguous()) fail(MARIUS_ERR_INVALID_ARGUMENT, "DLView: tensor must be contiguous");
  switch (tensor.scalar_type()) {
    case at::kFloat: tensor_.dtype = DLDataType{kDLFloat, 32, 1}; break;
    case at::kDouble: tensor_.dtype = DLDataType{kDLFloat, 64, 1}; break;
    case at::kInt: tensor_.dtype = DLDataType{kDLInt, 32, 1}; break;
    case at::kLong: tensor_.dtype = DLDataType{kDLInt, 64, 1}; break;
    case at::kByte: tensor_.dtype = DLDataType{kDLUInt, 8, 1}; break;
    default: fail(MARIUS_ERR_INVALID_ARGUMENT, "DLView: unsupported dtype {}", c10::toString(tensor.scalar_type()));
  }
  tensor_.data = tensor.data_ptr();
  tensor_.device = tensor.is_cuda() ? DLDevice{kDLCUDA, static_cast<int>(tensor.get_device())} : DLDevice{kDLCPU, 0};
  bind();
}

void DLView::bind() {
  strides_.assign(shape_.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape_.size()) - 2; i >= 0; --i) strides_[i] = strides_[i + 1] * shape_[i + 1];
  tensor_.ndim = static_cast<int32_t>(shape_.size());
  tensor_.shape = shape_.data();
  tensor_.strides = strides_.data();
  tensor_.byte_offset = 0;
}

}  // namespace marius
