// DistMult (Yang et al., 2015): score(h, r, t) = <h, r, t> = sum_i h_i r_i t_i.
// Relations are diagonal (R = D) and start at ones. Decomposed (ABI 1.2): the
// operator is the same diagonal product on either side, x * r, and the
// comparator is the dot product, which the host runs as one batched matrix
// product against each chunk's negatives.
#include "marius/sdk/torch_score.hpp"

namespace {

class DistMult : public marius::sdk::TorchScoreFunction {
 public:
  explicit DistMult(const marius::sdk::Options&) {}

 protected:
  uint32_t comparator() const override { return MARIUS_COMPARATOR_DOT; }

  at::Tensor relation_operator(uint32_t, const at::Tensor& x, const at::Tensor& rel) const override {
    return x * rel;
  }

  bool relation_operator_backward(uint32_t, const at::Tensor& x, const at::Tensor& rel, const at::Tensor& grad_y,
                                  at::Tensor* grad_x, at::Tensor* grad_rel) const override {
    if (grad_x) at::mul_out(*grad_x, grad_y, rel);
    if (grad_rel) at::mul_out(*grad_rel, grad_y, x);
    return true;
  }
};

}  // namespace

MARIUS_TORCH_PLUGIN(DistMult, "distmult", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
