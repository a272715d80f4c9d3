// GCN (Kipf and Welling, 2017): y = D^-1/2 (A + I) D^-1/2 h W (+ b), with h the
// input after dropout and D the degrees of A + I in the whole graph. When the
// sample holds k_i of node i's d_i neighbours, each sampled neighbour's term is
// scaled by d_i / k_i, so the sum is unbiased and with every neighbour sampled
// (fanout all) the layer is exactly the full-graph GCN.
#include "marius/sdk/torch_layer.hpp"
#include "../common/layer_options.hpp"

namespace {

using marius::sdk::Graph;
using marius::sdk::ParamSpec;

class Gcn : public marius::sdk::TorchLayer {
 public:
  explicit Gcn(const marius::sdk::Options& o) : options_(o) {}

 protected:
  std::vector<ParamSpec> parameters(const marius_layer_dims& d) override {
    std::vector<ParamSpec> p{{"weight", {d.in_dim, d.out_dim}, MARIUS_INIT_GLOROT, 1.0}};
    if (options_.bias) p.push_back({"bias", {d.out_dim}, MARIUS_INIT_ZEROS, 0.0});
    return p;
  }

  at::Tensor compute(const at::Tensor& x, const Graph& g, const std::vector<at::Tensor>& p) const override {
    at::Tensor h = marius::sdk::dropout(x, options_.dropout, g);
    const int64_t n = g.num_dst();
    at::Tensor dst = g.destinations();
    at::Tensor d_src = g.degrees + 1;                  // degrees of A + I
    at::Tensor d_dst = d_src.slice(0, 0, n);
    at::Tensor sampled = g.counts().to(at::kFloat).clamp_min(1);
    at::Tensor scale = (d_dst - 1) / sampled;           // d_i / k_i
    at::Tensor w = (scale.index_select(0, dst) /
                    (d_dst.index_select(0, dst) * d_src.index_select(0, g.neighbors)).sqrt());
    if (g.weights.defined()) w = w * g.weights;
    const bool transform_first = dims().out_dim < dims().in_dim;
    at::Tensor in = transform_first ? h.matmul(p[0]) : h;
    at::Tensor y = marius::sdk::aggregate(in, g, w) + in.slice(0, 0, n) / d_dst.unsqueeze(1);
    if (!transform_first) y = y.matmul(p[0]);
    if (options_.bias) y = y + p[1];
    return marius::sdk::activation(y, options_.activation);
  }

 private:
  marius::plugins::LayerOptions options_;
};

}  // namespace

MARIUS_TORCH_PLUGIN(Gcn, "gcn", "1.0.0",
                    MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
