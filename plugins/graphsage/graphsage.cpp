// GraphSAGE (Hamilton et al., 2017) with the mean or the gcn aggregator:
//   mean: y_i = h_i W_self + mean_{j in N(i)} h_j W_neigh (+ b)
//   gcn:  y_i = mean_{j in {i} u N(i)} h_j W (+ b)
// h is the input after dropout. The product with W runs before the
// aggregation when it shrinks the rows (D_out < D_in), after it otherwise.
#include "marius/sdk/torch_layer.hpp"
#include "../common/layer_options.hpp"

namespace {

using marius::sdk::Graph;
using marius::sdk::ParamSpec;

class GraphSage : public marius::sdk::TorchLayer {
 public:
  explicit GraphSage(const marius::sdk::Options& o) : options_(o), gcn_(o.get_string("aggregator") == "gcn") {}

 protected:
  std::vector<ParamSpec> parameters(const marius_layer_dims& d) override {
    const double gain = options_.activation == "relu" ? std::sqrt(2.0) : 1.0;
    std::vector<ParamSpec> p;
    if (gcn_) {
      p.push_back({"weight", {d.in_dim, d.out_dim}, MARIUS_INIT_GLOROT, gain});
    } else {
      p.push_back({"weight_self", {d.in_dim, d.out_dim}, MARIUS_INIT_GLOROT, gain});
      p.push_back({"weight_neighbors", {d.in_dim, d.out_dim}, MARIUS_INIT_GLOROT, gain});
    }
    if (options_.bias) p.push_back({"bias", {d.out_dim}, MARIUS_INIT_ZEROS, 0.0});
    return p;
  }

  at::Tensor compute(const at::Tensor& x, const Graph& g, const std::vector<at::Tensor>& p) const override {
    at::Tensor h = marius::sdk::dropout(x, options_.dropout, g);
    const bool transform_first = dims().out_dim < dims().in_dim;
    at::Tensor y;
    if (gcn_) {
      Graph self = marius::sdk::with_self_loops(g);
      y = transform_first ? marius::sdk::mean_aggregate(h.matmul(p[0]), self)
                          : marius::sdk::mean_aggregate(h, self).matmul(p[0]);
    } else {
      at::Tensor own = h.slice(0, 0, g.num_dst()).matmul(p[0]);
      at::Tensor neighbors = transform_first ? marius::sdk::mean_aggregate(h.matmul(p[1]), g)
                                             : marius::sdk::mean_aggregate(h, g).matmul(p[1]);
      y = own + neighbors;
    }
    if (options_.bias) y = y + p.back();
    return marius::sdk::activation(y, options_.activation);
  }

 private:
  marius::plugins::LayerOptions options_;
  bool gcn_;
};

}  // namespace

MARIUS_TORCH_PLUGIN(GraphSage, "graphsage", "1.0.0",
                    MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
