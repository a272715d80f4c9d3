// A score function as a relation operator plus a comparator (the fast route of
// marius/sdk/torch_score.hpp): RotatE's squared-L2 relative,
//   score(h, r, t) = -|h r - t|^2,
// with complex embeddings stored as [real half | imaginary half] and each
// relation a rotation r = exp(i phase), one phase per complex coordinate. The
// operator rotates one side (by -phase on the lhs side: |h r - t| = |h - t conj(r)|);
// marius runs the squared-L2 comparator as matrix products against the shared
// negatives. Backward of the operator comes from autograd.
#include "marius/sdk/torch_score.hpp"

namespace {

class MyScore : public marius::sdk::TorchScoreFunction {
 public:
  explicit MyScore(const marius::sdk::Options&) {}

  int64_t relation_width(const marius_call_context&, int64_t dim) override {
    marius::sdk::require_arg(dim > 0 && dim % 2 == 0, "needs an even dimension, got " + std::to_string(dim));
    return dim / 2;
  }

  // Phases start at zero: the identity rotation.
  void init_relations(const marius_call_context&, DLTensor& params) override {
    marius::sdk::as_tensor(&params, "params", 2).zero_();
  }

 protected:
  uint32_t comparator() const override { return MARIUS_COMPARATOR_SQUARED_L2; }

  at::Tensor relation_operator(uint32_t side, const at::Tensor& x, const at::Tensor& phase) const override {
    const int64_t half = x.size(-1) / 2;
    at::Tensor re = x.narrow(-1, 0, half), im = x.narrow(-1, half, half);
    at::Tensor cos = phase.cos(), sin = side == MARIUS_OPERATOR_RHS ? phase.sin() : -phase.sin();
    return at::cat({re * cos - im * sin, re * sin + im * cos}, -1);
  }
};

}  // namespace

MARIUS_TORCH_PLUGIN(MyScore, "my_score", "0.2.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
