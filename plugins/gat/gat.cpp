// GAT (Velickovic et al., 2018): per head k, z = h W_k, attention
//   e_ij = LeakyReLU(a_dst . z_i + a_src . z_j) over j in {i} u N(i),
//   alpha = softmax_j(e_ij) (then attention dropout), y_i = sum_j alpha_ij z_j;
// heads concatenated (out_dim = heads x width) or averaged (width = out_dim),
// then bias and activation. h is the input after dropout.
#include "marius/sdk/torch_layer.hpp"
#include "../common/layer_options.hpp"

namespace {

using marius::sdk::Graph;
using marius::sdk::ParamSpec;

class Gat : public marius::sdk::TorchLayer {
 public:
  explicit Gat(const marius::sdk::Options& o)
      : options_(o),
        heads_(o.get_int("heads")),
        concat_(o.get_bool("concat")),
        attention_dropout_(o.get_float("attention_dropout")),
        slope_(o.get_float("negative_slope")) {}

 protected:
  std::vector<ParamSpec> parameters(const marius_layer_dims& d) override {
    if (concat_) {
      marius::sdk::require_arg(d.out_dim % heads_ == 0, "gat: out_dim " + std::to_string(d.out_dim) +
                                                            " is not a multiple of heads = " + std::to_string(heads_) +
                                                            " (concat = true)");
    }
    width_ = concat_ ? d.out_dim / heads_ : d.out_dim;
    std::vector<ParamSpec> p{{"weight", {d.in_dim, heads_ * width_}, MARIUS_INIT_GLOROT, 1.0},
                             {"attention_src", {heads_, width_}, MARIUS_INIT_GLOROT, 1.0},
                             {"attention_dst", {heads_, width_}, MARIUS_INIT_GLOROT, 1.0}};
    if (options_.bias) p.push_back({"bias", {d.out_dim}, MARIUS_INIT_ZEROS, 0.0});
    return p;
  }

  at::Tensor compute(const at::Tensor& x, const Graph& graph, const std::vector<at::Tensor>& p) const override {
    at::Tensor h = marius::sdk::dropout(x, options_.dropout, graph);
    Graph g = marius::sdk::with_self_loops(graph);
    const int64_t n = g.num_dst();
    at::Tensor z = h.matmul(p[0]).view({h.size(0), heads_, width_});         // [N_src, H, F]
    at::Tensor score_src = (z * p[1]).sum(-1);                                 // [N_src, H]
    at::Tensor score_dst = (z.slice(0, 0, n) * p[2]).sum(-1);                  // [N_dst, H]
    at::Tensor logits = at::leaky_relu(score_src.index_select(0, g.neighbors) +
                                           score_dst.index_select(0, g.destinations()),
                                       slope_);                                 // [E, H]
    at::Tensor alpha = marius::sdk::segment_softmax(logits, g);
    alpha = marius::sdk::dropout(alpha, attention_dropout_, g);
    if (g.weights.defined()) alpha = alpha * g.weights.unsqueeze(1);
    at::Tensor y = marius::sdk::aggregate(z, g, alpha);                         // [N_dst, H, F]
    y = concat_ ? y.reshape({n, heads_ * width_}) : y.mean(1);
    if (options_.bias) y = y + p[3];
    return marius::sdk::activation(y, options_.activation);
  }

 private:
  marius::plugins::LayerOptions options_;
  int64_t heads_;
  bool concat_;
  double attention_dropout_;
  double slope_;
  int64_t width_ = 0;
};

}  // namespace

MARIUS_TORCH_PLUGIN(Gat, "gat", "1.0.0",
                    MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
