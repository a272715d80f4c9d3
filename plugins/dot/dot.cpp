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
};

}  // namespace

MARIUS_TORCH_PLUGIN(Dot, "dot", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
