// ComplEx (Trouillon et al., 2016): embeddings are complex vectors stored as
// [real half | imaginary half] (D even, D/2 complex numbers);
// score(h, r, t) = Re(sum_i h_i r_i conj(t_i)). Relations start at 1 + 0i.
// Decomposed (ABI 1.2) with the dot comparator of the real representations:
//   op_rhs(h, r) = h r,        Re(sum (h r) conj(t)) = <h r, t>;
//   op_lhs(t, r) = conj(r) t,  Re(sum h r conj(t)) = <h, conj(r) t>.
#include "marius/sdk/torch_score.hpp"

namespace {

class ComplEx : public marius::sdk::TorchScoreFunction {
 public:
  explicit ComplEx(const marius::sdk::Options&) {}

  int64_t relation_width(const marius_call_context&, int64_t dim) override {
    marius::sdk::require_arg(dim > 0 && dim % 2 == 0,
                             "ComplEx needs an even embedding dimension (real and imaginary halves), got " +
                                 std::to_string(dim));
    return dim;
  }

  void init_relations(const marius_call_context&, DLTensor& params) override {
    at::Tensor p = marius::sdk::as_tensor(&params, "params", 2);
    const int64_t half = p.size(1) / 2;
    p.narrow(1, 0, half).fill_(1.0f);
    p.narrow(1, half, p.size(1) - half).zero_();
  }

 protected:
  static std::pair<at::Tensor, at::Tensor> split(const at::Tensor& x) {
    const int64_t half = x.size(-1) / 2;
    return {x.narrow(-1, 0, half), x.narrow(-1, half, half)};
  }

  uint32_t comparator() const override { return MARIUS_COMPARATOR_DOT; }

  at::Tensor relation_operator(uint32_t side, const at::Tensor& x, const at::Tensor& rel) const override {
    auto [xr, xi] = split(x);
    auto [rr, ri] = split(rel);
    if (side == MARIUS_OPERATOR_RHS) return at::cat({xr * rr - xi * ri, xr * ri + xi * rr}, -1);
    return at::cat({rr * xr + ri * xi, rr * xi - ri * xr}, -1);
  }

  // Closed-form gradients (checked against finite differences by the conformance suite).
  bool relation_operator_backward(uint32_t side, const at::Tensor& x, const at::Tensor& rel, const at::Tensor& grad_y,
                                  at::Tensor* grad_x, at::Tensor* grad_rel) const override {
    auto [xr, xi] = split(x);
    auto [rr, ri] = split(rel);
    auto [dr, di] = split(grad_y);
    auto write = [](at::Tensor* out, const at::Tensor& re, const at::Tensor& im) {
      if (out) at::cat_out(*out, {re, im}, -1);
    };
    if (side == MARIUS_OPERATOR_RHS) {
      write(grad_x, dr * rr + di * ri, di * rr - dr * ri);
      write(grad_rel, dr * xr + di * xi, di * xr - dr * xi);
    } else {
      write(grad_x, dr * rr - di * ri, dr * ri + di * rr);
      write(grad_rel, dr * xr + di * xi, dr * xi - di * xr);
    }
    return true;
  }
};

}  // namespace

MARIUS_TORCH_PLUGIN(ComplEx, "complex", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
