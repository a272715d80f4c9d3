// Dot product: score(h, r, t) = <h, t>. For plain graphs: relations carry no
// parameters (width 0). Decomposed (ABI 1.2): the identity operator and the dot
// comparator, one batched matrix product per chunk in the host.
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
  uint32_t comparator() const override { return MARIUS_COMPARATOR_DOT; }

  at::Tensor relation_operator(uint32_t, const at::Tensor& x, const at::Tensor&) const override { return x; }

  bool relation_operator_backward(uint32_t, const at::Tensor&, const at::Tensor&, const at::Tensor& grad_y,
                                  at::Tensor* grad_x, at::Tensor* grad_rel) const override {
    if (grad_x) grad_x->copy_(grad_y);
    if (grad_rel) grad_rel->zero_();  // no relation parameters: nothing to write
    return true;
  }
};

}  // namespace

MARIUS_TORCH_PLUGIN(Dot, "dot", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
