// TransE (Bordes et al., 2013): score(h, r, t) = -||h + r - t||_p, p = 1 or 2
// (option `norm`). Relations are translations and start at zero. Chunked scoring
// uses pairwise distances: corrupt_rhs = -cdist(h + r, t), corrupt_lhs =
// -cdist(t - r, h).
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
  at::Tensor score(const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) const override {
    return -(lhs + rel - rhs).norm(p_, -1);
  }

  at::Tensor score_chunked(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel,
                           const at::Tensor& rhs) const override {
    if (mode == MARIUS_SCORE_CORRUPT_RHS) return -at::cdist(lhs + rel, rhs, p_);
    return -at::cdist(rhs - rel, lhs, p_);
  }

 private:
  double p_;
};

}  // namespace

MARIUS_TORCH_PLUGIN(TransE, "transe", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
