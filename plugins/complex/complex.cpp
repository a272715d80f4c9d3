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

  // Closed-form gradients (checked against finite differences by the conformance suite).
  bool score_backward(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs,
                      const at::Tensor& g, at::Tensor* g_lhs, at::Tensor* g_rel, at::Tensor* g_rhs) const override {
    auto [rr, ri] = split(rel);
    auto write = [](at::Tensor* out, const at::Tensor& re, const at::Tensor& im) {
      if (out) at::cat_out(*out, {re, im}, -1);
    };
    if (mode == MARIUS_SCORE_POSITIVE) {
      auto [hr, hi] = split(lhs);
      auto [tr, ti] = split(rhs);
      at::Tensor w = g.unsqueeze(1);
      write(g_lhs, (rr * tr + ri * ti) * w, (rr * ti - ri * tr) * w);
      write(g_rel, (hr * tr + hi * ti) * w, (hr * ti - hi * tr) * w);
      write(g_rhs, (hr * rr - hi * ri) * w, (hi * rr + hr * ri) * w);
      return true;
    }
    if (mode == MARIUS_SCORE_CORRUPT_RHS) {  // out = A t(rhs), A = h * r (complex)
      auto [hr, hi] = split(lhs);
      at::Tensor a = at::cat({hr * rr - hi * ri, hr * ri + hi * rr}, -1);
      if (g_rhs) at::bmm_out(*g_rhs, g.transpose(1, 2), a);
      if (g_lhs || g_rel) {
        auto [dr, di] = split(at::bmm(g, rhs));
        write(g_lhs, dr * rr + di * ri, di * rr - dr * ri);
        write(g_rel, dr * hr + di * hi, dr * hi * -1 + di * hr);
      }
      return true;
    }
    // corrupt_lhs: out = B t(lhs), B = [r_re t_re + r_im t_im | r_re t_im - r_im t_re]
    auto [tr, ti] = split(rhs);
    at::Tensor b = at::cat({rr * tr + ri * ti, rr * ti - ri * tr}, -1);
    if (g_lhs) at::bmm_out(*g_lhs, g.transpose(1, 2), b);
    if (g_rhs || g_rel) {
      auto [dr, di] = split(at::bmm(g, lhs));
      write(g_rhs, dr * rr - di * ri, dr * ri + di * rr);
      write(g_rel, dr * tr + di * ti, dr * ti - di * tr);
    }
    return true;
  }
};

}  // namespace

MARIUS_TORCH_PLUGIN(ComplEx, "complex", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
