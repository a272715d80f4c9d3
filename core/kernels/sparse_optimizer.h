// core/kernels/sparse_optimizer.h - optimizers that update only the rows a batch
// touched.
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>

namespace marius {

// Gradients of some rows: ids int64 [K] (repeats allowed), grads float32 [K,D].
struct RowGradients {
  at::Tensor ids;
  at::Tensor grads;
};

// Adagrad on rows `ids` (int64 [K], repeats allowed) of `param` [N,D] with
// gradients `grads` [K,D]: gradients of a repeated row are summed first, then
// state[row] += g^2 and param[row] -= lr * g / (sqrt(state[row]) + eps).
// `row_wise` (PyTorch-BigGraph's RowAdagrad): one accumulator per row, state[row]
// += mean_j g_j^2, kept in every element of the row's state.
// Every function here returns false when an updated parameter or optimizer
// state is NaN or infinite (the update is applied all the same).
bool sparse_adagrad(at::Tensor& param, at::Tensor& state, const at::Tensor& ids, const at::Tensor& grads, double lr,
                    double eps, bool row_wise = false);
// The same over several groups of rows at once: on host tensors a fused
// kernel (without concatenating them) unless `fused` is false; otherwise, and
// on any other device, the groups concatenated and coalesced in ATen
// operations (what the device path runs).
bool sparse_adagrad(at::Tensor& param, at::Tensor& state, const std::vector<RowGradients>& parts, double lr,
                    double eps, bool fused = true, bool row_wise = false);

// Adam on rows `ids` with per-row step counts `steps` (int64 [N]); bias
// correction uses each row's own count (rows of rare relations are not decayed
// while unused).
bool sparse_adam(at::Tensor& param, at::Tensor& m, at::Tensor& v, at::Tensor& steps, const at::Tensor& ids,
                 const at::Tensor& grads, double lr, double beta1, double beta2, double eps);

}  // namespace marius
