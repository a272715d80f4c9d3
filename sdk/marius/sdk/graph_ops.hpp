// marius/sdk/graph_ops.hpp - differentiable operations over a sampled
// neighbourhood in CSR form (marius/abi/layer.h), for layers written as LibTorch
// expressions (torch_layer.hpp).
//
//   aggregate(x, graph, w)       out[i] = sum_{e in row i} w[e] * x[neighbors[e]]   (sum; mean with w = 1/count)
//   segment_softmax(s, graph)    softmax of edge scores within each destination's row
//   with_self_loops(graph)       the same neighbourhood with destination i prepended to its own row
//   dropout(x, p, graph)         inverted dropout from the call's seed (the same mask in backward)
//   activation(x, name)          "relu", "elu", "leaky_relu", "tanh", "sigmoid" or "none"
//
// aggregate never materialises the [E, D] gathered rows on the CPU: it is a CSR
// sparse-dense product with its own backward (a scatter for x, a row dot
// product for w). On CUDA it falls back to index_select / index_add.
#ifndef MARIUS_SDK_GRAPH_OPS_HPP_
#define MARIUS_SDK_GRAPH_OPS_HPP_

#include <string>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include "marius/sdk/plugin.hpp"

namespace marius::sdk {

// The neighbourhood of one layer call, as LibTorch tensors (views of the
// call's DLTensors, or tensors a layer derived from them).
struct Graph {
  at::Tensor offsets;    // int64 [N_dst + 1]
  at::Tensor neighbors;  // int64 [E], rows of the input
  at::Tensor relations;  // int64 [E], or undefined
  at::Tensor weights;    // float32 [E], or undefined (all 1)
  at::Tensor degrees;    // float32 [N_src]
  int64_t num_relations = 1;
  bool training = false;
  uint64_t seed = 0;
  mutable at::Generator generator;  // the call's dropout stream, made from seed on first use

  int64_t num_dst() const { return offsets.size(0) - 1; }
  int64_t num_edges() const { return neighbors.size(0); }
  // Neighbours sampled per destination, int64 [N_dst].
  at::Tensor counts() const { return offsets.slice(0, 1) - offsets.slice(0, 0, -1); }
  // The destination row of each edge, int64 [E].
  at::Tensor destinations() const {
    return at::repeat_interleave(counts()).to(neighbors.device());
  }
  at::Generator& rng() const {
    if (!generator.defined()) generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    return generator;
  }
};

namespace detail {

// out [N_dst, H, F] = sum over row i of w [E, H] * x [N_src, H, F] (CPU kernel).
inline void aggregate_cpu(const at::Tensor& x, const at::Tensor& offsets, const at::Tensor& neighbors,
                          const at::Tensor& w, at::Tensor& out) {
  const int64_t n_dst = out.size(0), heads = x.size(1), f = x.size(2);
  const float* xs = x.data_ptr<float>();
  const int64_t* off = offsets.data_ptr<int64_t>();
  const int64_t* nbr = neighbors.data_ptr<int64_t>();
  const float* ws = w.defined() ? w.data_ptr<float>() : nullptr;
  float* o = out.data_ptr<float>();
  at::parallel_for(0, n_dst, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float* row = o + i * heads * f;
      std::fill(row, row + heads * f, 0.0f);
      for (int64_t e = off[i]; e < off[i + 1]; ++e) {
        const float* src = xs + nbr[e] * heads * f;
        for (int64_t h = 0; h < heads; ++h) {
          const float weight = ws != nullptr ? ws[e * heads + h] : 1.0f;
          float* dst = row + h * f;
          const float* s = src + h * f;
          for (int64_t k = 0; k < f; ++k) dst[k] += weight * s[k];
        }
      }
    }
  });
}

class Aggregate : public torch::autograd::Function<Aggregate> {
 public:
  // x [N_src, H, F], w [E, H], or an empty placeholder when !weighted
  // (autograd's apply cannot take undefined tensors).
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& placeholder,
                            const at::Tensor& offsets, const at::Tensor& neighbors, bool weighted) {
    const at::Tensor w = weighted ? placeholder : at::Tensor();
    at::Tensor out = at::empty({offsets.size(0) - 1, x.size(1), x.size(2)}, x.options());
    if (x.is_cpu()) {
      aggregate_cpu(x, offsets, neighbors, w, out);
    } else {
      at::Tensor dst = at::repeat_interleave(offsets.slice(0, 1) - offsets.slice(0, 0, -1));
      at::Tensor msg = x.index_select(0, neighbors);
      if (w.defined()) msg = msg * w.unsqueeze(-1);
      out.zero_().index_add_(0, dst, msg);
    }
    ctx->save_for_backward({x, placeholder, offsets, neighbors});
    ctx->saved_data["weighted"] = weighted;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor w = ctx->saved_data["weighted"].toBool() ? saved[1] : at::Tensor();
    const at::Tensor &offsets = saved[2], &neighbors = saved[3];
    at::Tensor g = grads[0].contiguous();
    at::Tensor grad_x, grad_w;
    const int64_t heads = x.size(1), f = x.size(2);
    if (ctx->needs_input_grad(0)) grad_x = at::zeros_like(x);
    if (w.defined() && ctx->needs_input_grad(1)) grad_w = at::empty_like(w);
    if (x.is_cpu()) {
      const float* gs = g.data_ptr<float>();
      const float* xs = x.data_ptr<float>();
      const float* ws = w.defined() ? w.data_ptr<float>() : nullptr;
      const int64_t* off = offsets.data_ptr<int64_t>();
      const int64_t* nbr = neighbors.data_ptr<int64_t>();
      float* gx = grad_x.defined() ? grad_x.data_ptr<float>() : nullptr;
      float* gw = grad_w.defined() ? grad_w.data_ptr<float>() : nullptr;
      const int64_t n_dst = offsets.size(0) - 1;
      for (int64_t i = 0; i < n_dst; ++i) {  // serial: rows of grad_x receive from many destinations
        const float* grow = gs + i * heads * f;
        for (int64_t e = off[i]; e < off[i + 1]; ++e) {
          const int64_t j = nbr[e];
          for (int64_t h = 0; h < heads; ++h) {
            const float* gh = grow + h * f;
            if (gx != nullptr) {
              const float weight = ws != nullptr ? ws[e * heads + h] : 1.0f;
              float* dst = gx + (j * heads + h) * f;
              for (int64_t k = 0; k < f; ++k) dst[k] += weight * gh[k];
            }
            if (gw != nullptr) {
              const float* s = xs + (j * heads + h) * f;
              float dot = 0;
              for (int64_t k = 0; k < f; ++k) dot += gh[k] * s[k];
              gw[e * heads + h] = dot;
            }
          }
        }
      }
    } else {
      at::Tensor dst = at::repeat_interleave(offsets.slice(0, 1) - offsets.slice(0, 0, -1));
      at::Tensor g_edges = g.index_select(0, dst);  // [E, H, F]
      if (grad_x.defined()) grad_x.index_add_(0, neighbors, w.defined() ? g_edges * w.unsqueeze(-1) : g_edges);
      if (grad_w.defined()) grad_w.copy_((g_edges * x.index_select(0, neighbors)).sum(-1));
    }
    return {grad_x, grad_w, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace detail

// Weighted sum over each destination's row: x [N_src, D] -> [N_dst, D] with w
// [E] (or undefined: all 1), or x [N_src, H, F] -> [N_dst, H, F] with w [E, H].
// Differentiable in x and w.
inline at::Tensor aggregate(const at::Tensor& x, const Graph& graph, const at::Tensor& w = at::Tensor()) {
  const bool flat = x.dim() == 2;
  at::Tensor x3 = flat ? x.unsqueeze(1) : x;
  at::Tensor w2 = w.defined() ? (w.dim() == 1 ? w.unsqueeze(1) : w).contiguous() : at::Tensor();
  const bool weighted = w2.defined();
  at::Tensor out = detail::Aggregate::apply(x3.contiguous(), weighted ? w2 : at::empty({0}, x.options()),
                                            graph.offsets, graph.neighbors, weighted);
  return flat ? out.squeeze(1) : out;
}

// The mean over each row (0 for a destination without neighbours), with the
// graph's edge weights when it has them.
inline at::Tensor mean_aggregate(const at::Tensor& x, const Graph& graph) {
  at::Tensor count = graph.counts().to(x.scalar_type()).clamp_min(1);
  at::Tensor dst = graph.destinations();
  at::Tensor w = (1.0 / count).index_select(0, dst);
  if (graph.weights.defined()) w = w * graph.weights;
  return aggregate(x, graph, w);
}

// Softmax of edge scores s [E] or [E, H] within each destination's row.
inline at::Tensor segment_softmax(const at::Tensor& s, const Graph& graph) {
  at::Tensor dst = graph.destinations();
  at::Tensor s2 = s.dim() == 1 ? s.unsqueeze(1) : s;
  at::Tensor index = dst.unsqueeze(1).expand_as(s2);
  at::Tensor max = at::full({graph.num_dst(), s2.size(1)}, -std::numeric_limits<float>::infinity(), s2.options())
                       .scatter_reduce(0, index, s2.detach(), "amax", /*include_self=*/true);
  at::Tensor e = (s2 - max.index_select(0, dst)).exp();
  at::Tensor sum = at::zeros({graph.num_dst(), s2.size(1)}, s2.options()).index_add(0, dst, e);
  at::Tensor out = e / sum.index_select(0, dst);
  return s.dim() == 1 ? out.squeeze(1) : out;
}

// The graph with destination i first in its own row (its relation: the
// highest type, num_relations, so a relation-typed layer sees self-loops as
// one more type; its weight 1). Degrees are unchanged.
inline Graph with_self_loops(const Graph& graph) {
  const int64_t n = graph.num_dst();
  at::Tensor counts = graph.counts() + 1;
  Graph g = graph;
  g.offsets = at::cat({at::zeros({1}, counts.options()), counts.cumsum(0)});
  at::Tensor is_self = at::zeros({g.offsets[-1].item<int64_t>()}, at::TensorOptions().dtype(at::kBool).device(graph.neighbors.device()));
  is_self.index_fill_(0, g.offsets.slice(0, 0, -1), true);
  at::Tensor rest = is_self.logical_not();
  g.neighbors = at::empty({is_self.size(0)}, graph.neighbors.options());
  g.neighbors.masked_scatter_(is_self, at::arange(n, graph.neighbors.options()));
  g.neighbors.masked_scatter_(rest, graph.neighbors);
  if (graph.relations.defined()) {
    g.relations = at::full({is_self.size(0)}, graph.num_relations, graph.relations.options());
    g.relations.masked_scatter_(rest, graph.relations);
    g.num_relations = graph.num_relations + 1;
  }
  if (graph.weights.defined()) {
    g.weights = at::ones({is_self.size(0)}, graph.weights.options());
    g.weights.masked_scatter_(rest, graph.weights);
  }
  return g;
}

// Inverted dropout with probability p, drawn from the call's stream; identity
// outside training or for p = 0.
inline at::Tensor dropout(const at::Tensor& x, double p, const Graph& graph) {
  if (!graph.training || p <= 0) return x;
  require_arg(p < 1, "dropout must be below 1, got " + std::to_string(p));
  at::Tensor keep = at::empty(x.sizes(), at::TensorOptions().dtype(at::kFloat)).bernoulli_(1 - p, graph.rng());
  return x * keep.to(x.device()).div_(1 - p);
}

// Applies a named activation; refuses an unknown name.
inline at::Tensor activation(const at::Tensor& x, const std::string& name, double leaky_slope = 0.01) {
  if (name == "none") return x;
  if (name == "relu") return at::relu(x);
  if (name == "elu") return at::elu(x);
  if (name == "leaky_relu") return at::leaky_relu(x, leaky_slope);
  if (name == "tanh") return at::tanh(x);
  if (name == "sigmoid") return at::sigmoid(x);
  throw Error(MARIUS_ERR_INVALID_ARGUMENT,
              "unknown activation '" + name + "' (relu, elu, leaky_relu, tanh, sigmoid or none)");
}

}  // namespace marius::sdk

#endif  // MARIUS_SDK_GRAPH_OPS_HPP_
