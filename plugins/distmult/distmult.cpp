// DistMult: score(h, r, t) = <h, r, t> = sum_i h_i r_i t_i. Relations are
// diagonal (R = D) and start at ones. Chunked scoring is one batched matrix
// product: (h * r) [C,S,D] x t^T [C,D,N].
#include "marius/sdk/torch_score.hpp"

namespace {

class DistMult : public marius::sdk::TorchScoreFunction {
 public:
  explicit DistMult(const marius::sdk::Options&) {}

 protected:
  at::Tensor score(const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) const override {
    return (lhs * rel * rhs).sum(-1);
  }

  at::Tensor score_chunked(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel,
                           const at::Tensor& rhs) const override {
    if (mode == MARIUS_SCORE_CORRUPT_RHS) return at::bmm(lhs * rel, rhs.transpose(1, 2));
    return at::bmm(rhs * rel, lhs.transpose(1, 2));
  }
};

}  // namespace

MARIUS_TORCH_PLUGIN(DistMult, "distmult", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
