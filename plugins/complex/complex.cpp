// ComplEx (Trouillon et al., 2016): embeddings are complex vectors stored as
// [real half | imaginary half] (D even, D/2 complex numbers);
// score(h, r, t) = Re(sum_i h_i r_i conj(t_i)). Relations start at 1 + 0i.
// Chunked scoring is one batched matrix product per side.
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

  at::Tensor score(const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) const override {
    auto [hr, hi] = split(lhs);
    auto [rr, ri] = split(rel);
    auto [tr, ti] = split(rhs);
    return (hr * rr * tr + hi * rr * ti + hr * ri * ti - hi * ri * tr).sum(-1);
  }

  at::Tensor score_chunked(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel,
                           const at::Tensor& rhs) const override {
    auto [rr, ri] = split(rel);
    if (mode == MARIUS_SCORE_CORRUPT_RHS) {
      // Re((h r) conj(t)) = (hr)_re t_re + (hr)_im t_im
      auto [hr, hi] = split(lhs);
      at::Tensor a = at::cat({hr * rr - hi * ri, hr * ri + hi * rr}, -1);
      return at::bmm(a, rhs.transpose(1, 2));
    }
    // Re(h (r conj(t))) = h_re b_re - h_im b_im with b = r conj(t)
    auto [tr, ti] = split(rhs);
    at::Tensor b = at::cat({rr * tr + ri * ti, -(ri * tr - rr * ti)}, -1);
    return at::bmm(b, lhs.transpose(1, 2));
  }
};

}  // namespace

MARIUS_TORCH_PLUGIN(ComplEx, "complex", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
