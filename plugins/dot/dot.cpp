// Dot product: score(h, r, t) = <h, t>. For plain graphs: relations carry no
// parameters (width 0). Chunked scoring is one batched matrix product.
#include "marius/sdk/torch_score.hpp"

namespace {

class Dot : public marius::sdk::TorchScoreFunction {
 public:
  explicit Dot(const marius::sdk::Options&) {}

  int64_t relation_width(const marius_call_context&, int64_t dim) override {
    marius::sdk::require_arg(dim > 0, "embedding dimension must be positive, got " + std::to_string(dim));
    return 0;
  }

  void init_relations(const marius_call_context&, DLTensor& params) override {
    marius::sdk::require_arg(marius::sdk::expect_f32(&params, "params", 2).shape[1] == 0, "params must be [R, 0]");
  }

 protected:
  at::Tensor score(const at::Tensor& lhs, const at::Tensor&, const at::Tensor& rhs) const override {
    return (lhs * rhs).sum(-1);
  }

  at::Tensor score_chunked(uint32_t mode, const at::Tensor& lhs, const at::Tensor&,
                           const at::Tensor& rhs) const override {
    if (mode == MARIUS_SCORE_CORRUPT_RHS) return at::bmm(lhs, rhs.transpose(1, 2));
    return at::bmm(rhs, lhs.transpose(1, 2));
  }

  bool score_backward(uint32_t mode, const at::Tensor& lhs, const at::Tensor&, const at::Tensor& rhs,
                      const at::Tensor& g, at::Tensor* g_lhs, at::Tensor* g_rel, at::Tensor* g_rhs) const override {
    if (g_rel) g_rel->zero_();  // no relation parameters: nothing to write
    if (mode == MARIUS_SCORE_POSITIVE) {
      at::Tensor w = g.unsqueeze(1);
      if (g_lhs) at::mul_out(*g_lhs, rhs, w);
      if (g_rhs) at::mul_out(*g_rhs, lhs, w);
      return true;
    }
    const bool rhs_side = mode == MARIUS_SCORE_CORRUPT_RHS;
    const at::Tensor& edges = rhs_side ? lhs : rhs;
    const at::Tensor& negatives = rhs_side ? rhs : lhs;
    at::Tensor* g_edges = rhs_side ? g_lhs : g_rhs;
    at::Tensor* g_negatives = rhs_side ? g_rhs : g_lhs;
    if (g_edges) at::bmm_out(*g_edges, g, negatives);
    if (g_negatives) at::bmm_out(*g_negatives, g.transpose(1, 2), edges);
    return true;
  }
};

}  // namespace

MARIUS_TORCH_PLUGIN(Dot, "dot", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
