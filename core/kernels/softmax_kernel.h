// core/kernels/softmax_kernel.h - the softmax cross-entropy of chunked negatives,
// fused into three passes per row that stay in L1 cache.
#pragma once

#include <cstdint>

namespace marius {

// For each of `rows` rows r: logits are pos[r] followed by neg[r*n .. r*n+n).
// Adds weight[r] * (logsumexp(logits) - pos[r]) to the returned loss, writes
// grad_neg[r*n + j] = weight[r] * softmax_j and adds weight[r] * (softmax_pos - 1)
// into grad_pos[r]. Compiled with -ffast-math (vectorised exp); inputs must be
// finite (masked negatives use a large negative value, not -inf).
double softmax_cross_entropy(const float* pos, const float* neg, const float* weight, int64_t rows, int64_t n,
                             float* grad_pos, float* grad_neg);

}  // namespace marius
