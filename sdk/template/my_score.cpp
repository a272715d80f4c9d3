// A score function written as a plain LibTorch expression. The SDK's adapter
// checks the tensors, evaluates the expression in every scoring mode and derives
// backward with autograd; MARIUS_TORCH_PLUGIN generates the C ABI entry point.
#include "marius/sdk/torch_score.hpp"

namespace {

class MyScore : public marius::sdk::TorchScoreFunction {
 public:
  explicit MyScore(const marius::sdk::Options& options) : norm_(options.get_int("norm")) {}

  // Translations start at zero.
  void init_relations(const marius_call_context&, DLTensor& params) override {
    marius::sdk::as_tensor(&params, "params", 2).zero_();
  }

 protected:
  at::Tensor score(const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) const override {
    return -(lhs + rel - rhs).norm(static_cast<double>(norm_), -1);
  }

 private:
  int64_t norm_;
};

}  // namespace

MARIUS_TORCH_PLUGIN(MyScore, "my_score", "0.1.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
