// A GNN layer written as a plain LibTorch expression: each node's new
// representation is a learned mix of its own and its neighbours' maximum
// (a max-pooling aggregator). The SDK's adapter checks the tensors of every
// call and derives backward with autograd (evaluating the expression again with
// the forward's seed, so dropout masks agree); MARIUS_TORCH_PLUGIN generates
// the C ABI entry point.
#include "marius/sdk/torch_layer.hpp"

namespace {

using marius::sdk::Graph;
using marius::sdk::ParamSpec;

class MyLayer : public marius::sdk::TorchLayer {
 public:
  explicit MyLayer(const marius::sdk::Options& options)
      : activation_(options.get_string("activation")), dropout_(options.get_float("dropout")) {}

 protected:
  // Names, shapes and initialisation of the parameters; the host creates and
  // initialises them, and the core's optimizer updates them.
  std::vector<ParamSpec> parameters(const marius_layer_dims& d) override {
    return {{"weight_self", {d.in_dim, d.out_dim}, MARIUS_INIT_GLOROT, 1.0},
            {"weight_neighbors", {d.in_dim, d.out_dim}, MARIUS_INIT_GLOROT, 1.0},
            {"bias", {d.out_dim}, MARIUS_INIT_ZEROS, 0.0}};
  }

  // x: [N_src, D_in], destinations are its first g.num_dst() rows; -> [N_dst, D_out].
  at::Tensor compute(const at::Tensor& x, const Graph& g, const std::vector<at::Tensor>& p) const override {
    at::Tensor h = marius::sdk::dropout(x, dropout_, g);
    // Each destination's elementwise maximum over its neighbours (0 without any).
    at::Tensor messages = h.index_select(0, g.neighbors);
    at::Tensor index = g.destinations().unsqueeze(1).expand_as(messages);
    at::Tensor pooled = at::zeros({g.num_dst(), h.size(1)}, h.options())
                            .scatter_reduce(0, index, messages, "amax", /*include_self=*/false);
    at::Tensor y = h.slice(0, 0, g.num_dst()).matmul(p[0]) + pooled.matmul(p[1]) + p[2];
    return marius::sdk::activation(y, activation_);
  }

 private:
  std::string activation_;
  double dropout_;
};

}  // namespace

MARIUS_TORCH_PLUGIN(MyLayer, "my_layer", "0.1.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
