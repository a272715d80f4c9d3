// R-GCN (Schlichtkrull et al., 2018):
//   y_i = h_i W_0 + sum_r sum_{j in N_r(i)} (1 / c_{i,r}) h_j W_r (+ b),
// c_{i,r} the sampled neighbours of i along relation r, h the input after
// dropout. With num_bases = B > 0, W_r = sum_b a_{r,b} V_b (basis
// decomposition). Messages are computed relation by relation, one matrix
// product per relation present in the sample.
#include "marius/sdk/torch_layer.hpp"
#include "../common/layer_options.hpp"

namespace {

using marius::sdk::Graph;
using marius::sdk::ParamSpec;

class Rgcn : public marius::sdk::TorchLayer {
 public:
  explicit Rgcn(const marius::sdk::Options& o) : options_(o), bases_(o.get_int("num_bases")) {}

 protected:
  std::vector<ParamSpec> parameters(const marius_layer_dims& d) override {
    const int64_t r = std::max<int64_t>(d.num_relations, 1);
    std::vector<ParamSpec> p{{"weight_self", {d.in_dim, d.out_dim}, MARIUS_INIT_GLOROT, 1.0}};
    if (bases_ > 0) {
      p.push_back({"bases", {bases_, d.in_dim, d.out_dim}, MARIUS_INIT_GLOROT, 1.0});
      p.push_back({"coefficients", {r, bases_}, MARIUS_INIT_GLOROT, 1.0});
    } else {
      p.push_back({"weight_relations", {r, d.in_dim, d.out_dim}, MARIUS_INIT_GLOROT, 1.0});
    }
    if (options_.bias) p.push_back({"bias", {d.out_dim}, MARIUS_INIT_ZEROS, 0.0});
    return p;
  }

  at::Tensor compute(const at::Tensor& x, const Graph& g, const std::vector<at::Tensor>& p) const override {
    at::Tensor h = marius::sdk::dropout(x, options_.dropout, g);
    const int64_t n = g.num_dst(), in = dims().in_dim, out = dims().out_dim;
    const int64_t r = std::max<int64_t>(dims().num_relations, 1);
    at::Tensor weights = bases_ > 0 ? p[2].matmul(p[1].view({bases_, in * out})).view({r, in, out}) : p[1];
    at::Tensor relations = g.relations.defined() ? g.relations : at::zeros_like(g.neighbors);
    at::Tensor y = h.slice(0, 0, n).matmul(p[0]);
    if (g.num_edges() > 0) {
      marius::sdk::require_arg(relations.max().item<int64_t>() < r && relations.min().item<int64_t>() >= 0,
                               "rgcn: an edge's relation is outside [0, num_relations)");
      at::Tensor order = relations.argsort();
      at::Tensor sorted = relations.index_select(0, order);
      at::Tensor present, counts;
      std::tie(present, std::ignore, counts) = at::unique_consecutive(sorted, false, true);
      std::vector<at::Tensor> messages;
      int64_t begin = 0;
      auto rel_of = present.accessor<int64_t, 1>();
      auto count_of = counts.accessor<int64_t, 1>();
      for (int64_t k = 0; k < present.size(0); ++k) {
        at::Tensor edges = order.slice(0, begin, begin + count_of[k]);
        messages.push_back(h.index_select(0, g.neighbors.index_select(0, edges)).matmul(weights[rel_of[k]]));
        begin += count_of[k];
      }
      // Back to edge order: messages[e] is edge e's h_j W_r.
      at::Tensor by_edge = at::cat(messages).index_select(0, order.argsort());
      at::Tensor dst = g.destinations();
      at::Tensor key = dst * r + relations;
      at::Tensor per_pair = at::bincount(key, {}, n * r).to(at::kFloat);
      at::Tensor w = 1.0 / per_pair.index_select(0, key);
      if (g.weights.defined()) w = w * g.weights;
      Graph edges_as_rows = g;  // the messages are rows of their own: edge e reads row e
      edges_as_rows.neighbors = at::arange(g.num_edges(), g.neighbors.options());
      y = y + marius::sdk::aggregate(by_edge, edges_as_rows, w);
    }
    if (options_.bias) y = y + p.back();
    return marius::sdk::activation(y, options_.activation);
  }

 private:
  marius::plugins::LayerOptions options_;
  int64_t bases_;
};

}  // namespace

MARIUS_TORCH_PLUGIN(Rgcn, "rgcn", "1.0.0",
                    MARIUS_CAP_CPU | MARIUS_CAP_CUDA | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
