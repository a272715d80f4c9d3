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

  bool score_backward(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs,
                      const at::Tensor& g, at::Tensor* g_lhs, at::Tensor* g_rel, at::Tensor* g_rhs) const override {
    if (mode == MARIUS_SCORE_POSITIVE) {
      at::Tensor w = g.unsqueeze(1);
      if (g_lhs) at::mul_out(*g_lhs, rel, rhs).mul_(w);
      if (g_rel) at::mul_out(*g_rel, lhs, rhs).mul_(w);
      if (g_rhs) at::mul_out(*g_rhs, lhs, rel).mul_(w);
      return true;
    }
    // corrupt_rhs: out = (lhs * rel) t(rhs); corrupt_lhs: out = (rhs * rel) t(lhs).
    const bool rhs_side = mode == MARIUS_SCORE_CORRUPT_RHS;
    const at::Tensor& edges = rhs_side ? lhs : rhs;      // [C,S,D]
    const at::Tensor& negatives = rhs_side ? rhs : lhs;  // [C,N,D]
    at::Tensor* g_edges = rhs_side ? g_lhs : g_rhs;
    at::Tensor* g_negatives = rhs_side ? g_rhs : g_lhs;
    if (g_edges || g_rel) {
      at::Tensor d_product = at::bmm(g, negatives);  // d out / d (edges * rel)
      if (g_edges) at::mul_out(*g_edges, d_product, rel);
      if (g_rel) at::mul_out(*g_rel, d_product, edges);
    }
    if (g_negatives) at::bmm_out(*g_negatives, g.transpose(1, 2), edges * rel);
    return true;
  }
};

}  // namespace

MARIUS_TORCH_PLUGIN(DistMult, "distmult", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
