// core/model/sample_calls.h - calling a negative sampler plugin's slot on
// LibTorch tensors (the sampler's counterpart of score_calls.h).
#pragma once

#include <mutex>

#include <ATen/core/Tensor.h>

#include "core/plugin/host_services.h"
#include "core/plugin/negative_sampler.h"

namespace marius {

// Fills `out` (int64 [C, n], contiguous, host) with n negatives for each of C
// chunks, drawn from the rows `node_ranges` (int64 [k, 2]) of a table of
// `num_nodes` rows with `degrees` (int64 [num_nodes]); `batch_nodes` (int64,
// may be undefined) are the batch's own nodes, for samplers that use them. The
// sampler is called under `lock` unless it declares MARIUS_CAP_REENTRANT (`lock`
// may then be null). ctx must carry a random stream. Returns `out`.
at::Tensor sample_negatives(const NegativeSampler& sampler, CallContext& ctx, std::mutex* lock,
                            const at::Tensor& node_ranges, const at::Tensor& degrees, int64_t num_nodes,
                            const at::Tensor& batch_nodes, const at::Tensor& out);

}  // namespace marius
