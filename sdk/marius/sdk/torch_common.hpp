// marius/sdk/torch_common.hpp - what the LibTorch adapters (torch_score.hpp,
// torch_layer.hpp) share: DLTensor views as at::Tensors and the entry macro.
//
// A plugin using LibTorch must be built against the same LibTorch as the host:
// MARIUS_TORCH_PLUGIN's entry refuses a host whose LibTorch version differs
// from the one the plugin was compiled with.
#ifndef MARIUS_SDK_TORCH_COMMON_HPP_
#define MARIUS_SDK_TORCH_COMMON_HPP_

#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/csrc/api/include/torch/version.h>

#include "marius/sdk/plugin.hpp"

namespace marius::sdk {

// Wraps a DLTensor as an at::Tensor without copying. The tensor must outlive the
// result. Checks dtype float32, rank `ndim`, contiguity and the device.
inline at::Tensor as_tensor(const DLTensor* t, const char* name, int32_t ndim) {
  const DLTensor& d = expect_f32(t, name, ndim);
  at::Device device = d.device.device_type == kDLCUDA ? at::Device(at::kCUDA, static_cast<int16_t>(d.device.device_id))
                                                       : at::Device(at::kCPU);
  require_arg(d.device.device_type == kDLCPU || d.device.device_type == kDLCUDA,
              std::string(name) + " is on an unsupported device");
  std::vector<int64_t> shape(d.shape, d.shape + d.ndim);
  return at::from_blob(data_of<float>(d), shape, at::TensorOptions().dtype(at::kFloat).device(device));
}

// Wraps an int64 DLTensor of rank `ndim` (checked like as_tensor).
inline at::Tensor as_index_tensor(const DLTensor* t, const char* name, int32_t ndim) {
  const DLTensor& d = expect_i64(t, name, ndim);
  at::Device device = d.device.device_type == kDLCUDA ? at::Device(at::kCUDA, static_cast<int16_t>(d.device.device_id))
                                                       : at::Device(at::kCPU);
  std::vector<int64_t> shape(d.shape, d.shape + d.ndim);
  return at::from_blob(data_of<int64_t>(d), shape, at::TensorOptions().dtype(at::kLong).device(device));
}

namespace detail {
// Refuses a host whose LibTorch differs from the one this plugin was built with.
inline void check_libtorch(const marius_call_context* ctx) {
  if (ctx == nullptr || ctx->host == nullptr || ctx->host->libtorch_version == nullptr) return;
  require(std::string(ctx->host->libtorch_version) == TORCH_VERSION, MARIUS_ERR_VERSION_MISMATCH,
          std::string("this plugin was built with LibTorch ") + TORCH_VERSION + ", the host runs LibTorch " +
              ctx->host->libtorch_version);
}
}  // namespace detail

}  // namespace marius::sdk

// Like MARIUS_PLUGIN, and also refuses a host with another LibTorch.
#define MARIUS_TORCH_PLUGIN(Class, name, version, caps)                                        \
  extern "C" MARIUS_EXPORT marius_status marius_plugin_entry(marius_entry_args* args) noexcept { \
    if (args != nullptr) {                                                                     \
      marius_status s = ::marius::sdk::guard(args->ctx, "entry",                               \
                                             [&] { ::marius::sdk::detail::check_libtorch(args->ctx); }); \
      if (s != MARIUS_OK) return s;                                                            \
    }                                                                                          \
    return ::marius::sdk::detail::entry<Class>(args, name, version, caps);                     \
  }

#endif  // MARIUS_SDK_TORCH_COMMON_HPP_
