// marius/sdk/torch_layer.hpp - write a GNN layer as a LibTorch expression.
//
// Derive from TorchLayer, declare the parameters and write the forward pass;
// the adapter checks every call's tensors against marius/abi/layer.h, wraps
// them as at::Tensors without copying, and derives backward with autograd by
// evaluating the expression again (with the forward's seed, so dropout draws
// the same masks):
//
//     class MyMean : public marius::sdk::TorchLayer {
//      public:
//       explicit MyMean(const marius::sdk::Options&) {}
//      protected:
//       std::vector<marius::sdk::ParamSpec> parameters(const marius_layer_dims& d) override {
//         return {{"weight", {d.in_dim, d.out_dim}}};
//       }
//       at::Tensor compute(const at::Tensor& x, const marius::sdk::Graph& g,
//                          const std::vector<at::Tensor>& p) const override {
//         return marius::sdk::mean_aggregate(x, g).matmul(p[0]);
//       }
//     };
//     MARIUS_TORCH_PLUGIN(MyMean, "my_mean", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT)
//
// graph_ops.hpp has the neighbourhood operations (aggregate, segment_softmax,
// with_self_loops, dropout, activation). The plugin's manifest says
// kind = "layer" and abi range ">=1.1, <2.0".
#ifndef MARIUS_SDK_TORCH_LAYER_HPP_
#define MARIUS_SDK_TORCH_LAYER_HPP_

#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "marius/sdk/graph_ops.hpp"
#include "marius/sdk/torch_common.hpp"

namespace marius::sdk {

class TorchLayer : public Layer {
 public:
  std::vector<ParamSpec> describe(const marius_call_context&, const marius_layer_dims& dims) override {
    require_arg(dims.in_dim > 0 && dims.out_dim > 0, "layer dimensions must be positive, got " +
                                                         std::to_string(dims.in_dim) + " -> " +
                                                         std::to_string(dims.out_dim));
    dims_ = dims;
    specs_ = parameters(dims);
    return specs_;
  }

  void forward(const marius_call_context&, const marius_layer_args& args) override {
    at::NoGradGuard no_grad;
    Call call = wrap(args);
    at::Tensor out = as_tensor(args.output, "output", 2);
    require_arg(out.size(0) == call.graph.num_dst() && out.size(1) == dims_.out_dim,
                "output must be [N_dst, D_out] = [" + std::to_string(call.graph.num_dst()) + "," +
                    std::to_string(dims_.out_dim) + "], is " + shape_string(*args.output));
    at::Tensor y = compute(call.input, call.graph, call.params);
    require_arg(y.dim() == 2 && y.size(0) == out.size(0) && y.size(1) == out.size(1),
                "the layer's expression gave shape " + std::string(c10::str(y.sizes())) + ", expected [" +
                    std::to_string(out.size(0)) + "," + std::to_string(out.size(1)) + "]");
    out.copy_(y);
  }

  void backward(const marius_call_context&, const marius_layer_args& args) override {
    Call call = wrap(args);
    at::Tensor grad_out = as_tensor(args.grad_output, "grad_output", 2);
    require_arg(grad_out.size(0) == call.graph.num_dst() && grad_out.size(1) == dims_.out_dim,
                "grad_output must be [N_dst, D_out]");
    std::vector<at::Tensor> targets;  // where each wanted gradient goes
    at::AutoGradMode enable_grad(true);
    at::Tensor input = call.input.detach().requires_grad_(args.grad_input != nullptr);
    std::vector<at::Tensor> wanted;
    if (args.grad_input != nullptr) {
      at::Tensor g = as_tensor(args.grad_input, "grad_input", 2);
      require_arg(g.sizes() == input.sizes(), "grad_input must match the input's shape");
      wanted.push_back(input);
      targets.push_back(g);
    }
    std::vector<at::Tensor> params;
    for (size_t k = 0; k < call.params.size(); ++k) {
      const bool want = args.grad_params != nullptr && args.grad_params[k] != nullptr;
      params.push_back(call.params[k].detach().requires_grad_(want));
      if (!want) continue;
      at::Tensor g = as_tensor(args.grad_params[k], "grad_params[k]", static_cast<int32_t>(params.back().dim()));
      require_arg(g.sizes() == params.back().sizes(), "grad_params[" + std::to_string(k) + "] must match its parameter");
      wanted.push_back(params.back());
      targets.push_back(g);
    }
    if (wanted.empty()) return;
    at::Tensor y = compute(input, call.graph, params);
    std::vector<at::Tensor> grads = torch::autograd::grad({y}, wanted, {grad_out}, /*retain_graph=*/false,
                                                          /*create_graph=*/false, /*allow_unused=*/true);
    at::NoGradGuard no_grad;
    for (size_t i = 0; i < grads.size(); ++i) {
      if (grads[i].defined()) {
        targets[i].copy_(grads[i]);
      } else {
        targets[i].zero_();
      }
    }
  }

 protected:
  // The parameters for `dims` (called once, from describe).
  virtual std::vector<ParamSpec> parameters(const marius_layer_dims& dims) = 0;
  // The layer: input [N_src, D_in] and params (in parameters()' order) ->
  // [N_dst, D_out]. Runs with autograd on in backward.
  virtual at::Tensor compute(const at::Tensor& input, const Graph& graph, const std::vector<at::Tensor>& params) const = 0;

  const marius_layer_dims& dims() const { return dims_; }

 private:
  struct Call {
    at::Tensor input;
    Graph graph;
    std::vector<at::Tensor> params;
  };

  Call wrap(const marius_layer_args& args) const {
    require_arg(args.struct_size >= MARIUS_LAYER_ARGS_SIZE_1_1, "layer args struct_size too small");
    require_arg(!specs_.empty() || args.num_params == 0, "describe was not called");
    Call c;
    c.input = as_tensor(args.input, "input", 2);
    require_arg(c.input.size(1) == dims_.in_dim, "input must have D_in = " + std::to_string(dims_.in_dim) +
                                                     " columns, has " + std::to_string(c.input.size(1)));
    Graph& g = c.graph;
    g.offsets = as_index_tensor(args.offsets, "offsets", 1);
    g.neighbors = as_index_tensor(args.neighbors, "neighbors", 1);
    require_arg(g.offsets.size(0) >= 1 && g.offsets.size(0) - 1 <= c.input.size(0),
                "offsets must have N_dst + 1 <= N_src + 1 entries");
    if (args.relations != nullptr) g.relations = as_index_tensor(args.relations, "relations", 1);
    if (args.weights != nullptr) g.weights = as_tensor(args.weights, "weights", 1);
    g.degrees = as_tensor(args.degrees, "degrees", 1);
    require_arg(g.degrees.size(0) == c.input.size(0), "degrees must be [N_src]");
    g.num_relations = dims_.num_relations;
    g.training = args.training != 0;
    g.seed = args.seed;
    require_arg(args.num_params == specs_.size(), "expected " + std::to_string(specs_.size()) + " parameters, got " +
                                                      std::to_string(args.num_params));
    for (uint32_t k = 0; k < args.num_params; ++k) {
      const ParamSpec& spec = specs_[k];
      at::Tensor p = as_tensor(args.params[k], spec.name.c_str(), static_cast<int32_t>(spec.shape.size()));
      require_arg(p.sizes() == at::IntArrayRef(spec.shape), "parameter '" + spec.name + "' has the wrong shape");
      c.params.push_back(p);
    }
    return c;
  }

  marius_layer_dims dims_{};
  std::vector<ParamSpec> specs_;
};

}  // namespace marius::sdk

#endif  // MARIUS_SDK_TORCH_LAYER_HPP_
