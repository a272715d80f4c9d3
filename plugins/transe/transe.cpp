// TransE (Bordes et al., 2013): score(h, r, t) = -||h + r - t||_p, p = 1 or 2
// (option `norm`). Relations are translations and start at zero. With p = 2 it
// is decomposed (ABI 1.2): op_rhs(h, r) = h + r and op_lhs(t, r) = t - r with the
// L2 comparator, which the host runs with matrix products. The L1 distance has
// no matrix-product form: p = 1 scores through the expression below.
#include "marius/sdk/torch_score.hpp"

namespace {

class TransE : public marius::sdk::TorchScoreFunction {
 public:
  explicit TransE(const marius::sdk::Options& options) : p_(static_cast<double>(options.get_int("norm"))) {
    marius::sdk::require_arg(p_ == 1.0 || p_ == 2.0, "norm must be 1 or 2");
  }

  void init_relations(const marius_call_context&, DLTensor& params) override {
    marius::sdk::as_tensor(&params, "params", 2).zero_();
  }

 protected:
  uint32_t comparator() const override { return p_ == 2.0 ? MARIUS_COMPARATOR_L2 : MARIUS_COMPARATOR_NONE; }

  at::Tensor relation_operator(uint32_t side, const at::Tensor& x, const at::Tensor& rel) const override {
    return side == MARIUS_OPERATOR_RHS ? x + rel : x - rel;
  }

  bool relation_operator_backward(uint32_t side, const at::Tensor&, const at::Tensor&, const at::Tensor& grad_y,
                                  at::Tensor* grad_x, at::Tensor* grad_rel) const override {
    if (grad_x) grad_x->copy_(grad_y);
    if (grad_rel) side == MARIUS_OPERATOR_RHS ? grad_rel->copy_(grad_y) : at::neg_out(*grad_rel, grad_y);
    return true;
  }

  at::Tensor score(const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) const override {
    return -(lhs + rel - rhs).norm(p_, -1);
  }

  at::Tensor score_chunked(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel,
                           const at::Tensor& rhs) const override {
    if (mode == MARIUS_SCORE_CORRUPT_RHS) return -at::cdist(lhs + rel, rhs, p_);
    return -at::cdist(rhs - rel, lhs, p_);
  }

  // cdist materialises no [C,S,N,D] temporary: one tile holds every negative.
  int64_t tile_bytes() const override { return int64_t{1} << 62; }

 private:
  double p_;
};

}  // namespace

MARIUS_TORCH_PLUGIN(TransE, "transe", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
