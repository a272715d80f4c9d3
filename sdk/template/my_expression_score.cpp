// A score function as one LibTorch expression (the general route of
// marius/sdk/torch_score.hpp): RotatE (Sun et al., 2019),
//   score(h, r, t) = -sum_i |h_i r_i - t_i|,
// the sum of complex moduli, which has no matrix-product form. Embeddings are
// [real half | imaginary half]; each relation is a rotation r = exp(i phase).
// The adapter evaluates `score` in every mode, in tiles of negatives within a
// memory budget, and derives backward with autograd.
#include "marius/sdk/torch_score.hpp"

namespace {

class MyExpressionScore : public marius::sdk::TorchScoreFunction {
 public:
  explicit MyExpressionScore(const marius::sdk::Options&) {}

  int64_t relation_width(const marius_call_context&, int64_t dim) override {
    marius::sdk::require_arg(dim > 0 && dim % 2 == 0, "needs an even dimension, got " + std::to_string(dim));
    return dim / 2;
  }

  // Phases start at zero: the identity rotation.
  void init_relations(const marius_call_context&, DLTensor& params) override {
    marius::sdk::as_tensor(&params, "params", 2).zero_();
  }

 protected:
  at::Tensor score(const at::Tensor& lhs, const at::Tensor& phase, const at::Tensor& rhs) const override {
    const int64_t half = lhs.size(-1) / 2;
    at::Tensor cos = phase.cos(), sin = phase.sin();
    at::Tensor h_re = lhs.narrow(-1, 0, half), h_im = lhs.narrow(-1, half, half);
    at::Tensor re = h_re * cos - h_im * sin - rhs.narrow(-1, 0, half);
    at::Tensor im = h_re * sin + h_im * cos - rhs.narrow(-1, half, half);
    return -(re * re + im * im + 1e-9).sqrt().sum(-1);
  }
};

}  // namespace

MARIUS_TORCH_PLUGIN(MyExpressionScore, "my_expression_score", "0.1.0",
                    MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
