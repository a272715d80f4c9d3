#include "core/kernels/softmax_kernel.h"

#include <cmath>

#include "core/kernels/cpu_clones.h"

namespace marius {

// Cloned for CPUs with AVX2 (8-wide exp) with a baseline fallback,
// chosen at load time.
MARIUS_CPU_CLONES double softmax_cross_entropy(const float* pos, const float* neg, const float* weight, int64_t rows, int64_t n,
                             float* grad_pos, float* grad_neg) {
  double loss = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict x = neg + r * n;
    float* __restrict g = grad_neg + r * n;
    const float p = pos[r];
    float top = p;
    for (int64_t j = 0; j < n; ++j) top = std::fmax(top, x[j]);
    float total = 0;
    for (int64_t j = 0; j < n; ++j) {
      const float e = std::exp(x[j] - top);
      g[j] = e;
      total += e;
    }
    const float pos_exp = std::exp(p - top);
    total += pos_exp;
    const float w = weight[r];
    const float scale = w / total;
    for (int64_t j = 0; j < n; ++j) g[j] *= scale;
    grad_pos[r] += (pos_exp / total - 1.0f) * w;
    loss += static_cast<double>(w) * (top + std::log(total) - p);
  }
  return loss;
}

}  // namespace marius
