// A layer that returns NaN (option poison = forward), a NaN gradient
// (poison = backward) or an expression of the wrong shape (poison = shape):
// the host must stop training naming it.
#include <limits>

#include "marius/sdk/torch_layer.hpp"

namespace {

class NanLayer : public marius::sdk::TorchLayer {
 public:
  explicit NanLayer(const marius::sdk::Options& o) : poison_(o.get_string("poison")) {}

  void backward(const marius_call_context& ctx, const marius_layer_args& args) override {
    TorchLayer::backward(ctx, args);
    if (poison_ == "backward" && args.grad_input != nullptr) {
      marius::sdk::as_tensor(args.grad_input, "grad_input", 2).fill_(std::numeric_limits<float>::quiet_NaN());
    }
  }

 protected:
  std::vector<marius::sdk::ParamSpec> parameters(const marius_layer_dims& d) override {
    return {{"weight", {d.in_dim, d.out_dim}, MARIUS_INIT_GLOROT, 1.0}};
  }
  at::Tensor compute(const at::Tensor& x, const marius::sdk::Graph& g, const std::vector<at::Tensor>& p) const override {
    at::Tensor y = marius::sdk::mean_aggregate(x, g).matmul(p[0]);
    if (poison_ == "shape") return at::cat({y, y.narrow(1, 0, 1)}, 1);  // one column too many
    return poison_ == "forward" ? y * std::numeric_limits<float>::quiet_NaN() : y;
  }

 private:
  std::string poison_;
};

}  // namespace

MARIUS_TORCH_PLUGIN(NanLayer, "nan_layer", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT)
