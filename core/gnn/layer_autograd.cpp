#include "core/gnn/layer_autograd.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include "core/error.h"
#include "core/tensor/dl_view.h"

namespace marius {

namespace {

// DLViews of the tensors of one call, kept alive for its duration.
struct CallViews {
  std::vector<std::unique_ptr<DLView>> views;
  const DLTensor* view(const at::Tensor& t) {
    if (!t.defined()) return nullptr;
    views.push_back(std::make_unique<DLView>(t));
    return views.back()->get();
  }
  DLTensor* mutable_view(const at::Tensor& t) {
    if (!t.defined()) return nullptr;
    views.push_back(std::make_unique<DLView>(t));
    return views.back()->get();
  }
};

// The args of a call whose graph tensors are graph[0..4] (offsets, neighbors,
// relations, weights, degrees).
// graph[2] and graph[3] are empty placeholders when the call has no relations
// or weights (autograd's apply cannot take undefined tensors): `present` bit 0
// relations, bit 1 weights.
marius_layer_args make_args(CallViews& v, const at::Tensor& input, at::TensorList graph, int64_t present, bool training,
                            uint64_t seed, std::vector<const DLTensor*>& params, at::TensorList param_tensors) {
  marius_layer_args a{};
  a.struct_size = sizeof(a);
  a.training = training ? 1 : 0;
  a.seed = seed;
  a.input = v.view(input);
  a.offsets = v.view(graph[0]);
  a.neighbors = v.view(graph[1]);
  a.relations = (present & 1) != 0 ? v.view(graph[2]) : nullptr;
  a.weights = (present & 2) != 0 ? v.view(graph[3]) : nullptr;
  a.degrees = v.view(graph[4]);
  params.clear();
  for (const at::Tensor& p : param_tensors) params.push_back(v.view(p));
  a.num_params = static_cast<uint32_t>(params.size());
  a.params = params.data();
  return a;
}

class PluginLayer : public torch::autograd::Function<PluginLayer> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input, at::TensorList params,
                            at::TensorList graph, int64_t present, int64_t layer_address, bool training,
                            int64_t seed) {
    const auto* layer = reinterpret_cast<const GnnLayer*>(layer_address);
    const int64_t n_dst = graph[0].size(0) - 1;
    at::Tensor out = at::empty({n_dst, layer->out_dim()}, input.options());
    CallViews views;
    std::vector<const DLTensor*> param_views;
    marius_layer_args args =
        make_args(views, input, graph, present, training, static_cast<uint64_t>(seed), param_views, params);
    args.output = views.mutable_view(out);
    CallContext call(layer->label());
    layer->forward(call, args);
    if (!at::isfinite(out).all().item<bool>()) {
      fail(MARIUS_ERR_NON_FINITE, "{}: forward returned NaN or infinity ({} of {} outputs)", layer->label(),
           (~at::isfinite(out)).sum().item<int64_t>(), out.numel());
    }
    std::vector<at::Tensor> saved{input};
    saved.insert(saved.end(), params.begin(), params.end());
    saved.insert(saved.end(), graph.begin(), graph.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["layer"] = layer_address;
    ctx->saved_data["present"] = present;
    ctx->saved_data["training"] = training;
    ctx->saved_data["seed"] = seed;
    ctx->saved_data["num_params"] = static_cast<int64_t>(params.size());
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto* layer = reinterpret_cast<const GnnLayer*>(ctx->saved_data["layer"].toInt());
    const int64_t num_params = ctx->saved_data["num_params"].toInt();
    const at::Tensor& input = saved[0];
    std::vector<at::Tensor> params(saved.begin() + 1, saved.begin() + 1 + num_params);
    std::vector<at::Tensor> graph(saved.begin() + 1 + num_params, saved.end());
    CallViews views;
    std::vector<const DLTensor*> param_views;
    marius_layer_args args = make_args(views, input, graph, ctx->saved_data["present"].toInt(),
                                       ctx->saved_data["training"].toBool(),
                                       static_cast<uint64_t>(ctx->saved_data["seed"].toInt()), param_views, params);
    at::Tensor grad_out = grad_outputs[0].contiguous();
    args.grad_output = views.view(grad_out);
    at::Tensor grad_input;
    if (ctx->needs_input_grad(0)) grad_input = at::empty_like(input);
    args.grad_input = views.mutable_view(grad_input);
    std::vector<at::Tensor> grad_params(params.size());
    std::vector<DLTensor*> grad_param_views(params.size(), nullptr);
    for (size_t k = 0; k < params.size(); ++k) {
      if (!ctx->needs_input_grad(1 + k)) continue;
      grad_params[k] = at::empty_like(params[k]);
      grad_param_views[k] = views.mutable_view(grad_params[k]);
    }
    args.grad_params = grad_param_views.data();
    CallContext call(layer->label());
    layer->backward(call, args);
    auto check = [&](const at::Tensor& g, const std::string& what) {
      if (g.defined() && !at::isfinite(g).all().item<bool>()) {
        fail(MARIUS_ERR_NON_FINITE, "{}: backward returned NaN or infinity in the gradient of {}", layer->label(), what);
      }
    };
    check(grad_input, "the input");
    for (size_t k = 0; k < params.size(); ++k) check(grad_params[k], "parameter '" + layer->params()[k].name + "'");
    torch::autograd::variable_list grads{grad_input};
    grads.insert(grads.end(), grad_params.begin(), grad_params.end());
    grads.resize(grads.size() + graph.size() + 4);  // graph tensors, then present, the layer, training and seed
    return grads;
  }
};

}  // namespace

at::Tensor plugin_layer(const GnnLayer& layer, const LayerGraph& graph, const at::Tensor& input,
                        const std::vector<at::Tensor>& params, bool training, uint64_t seed) {
  const std::string& label = layer.label();
  if (input.dim() != 2 || input.size(1) != layer.in_dim()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: input must be [N_src, {}], is {}", label, layer.in_dim(),
         c10::str(input.sizes()));
  }
  const int64_t n_dst = graph.num_dst();
  if (n_dst < 0 || n_dst > input.size(0)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} destinations but only {} input rows", label, n_dst, input.size(0));
  }
  if (params.size() != layer.params().size()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} parameters given, the layer declares {}", label, params.size(),
         layer.params().size());
  }
  for (size_t k = 0; k < params.size(); ++k) {
    if (params[k].sizes() != at::IntArrayRef(layer.params()[k].shape)) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: parameter '{}' is {}, declared {}", label, layer.params()[k].name,
           c10::str(params[k].sizes()), c10::str(at::IntArrayRef(layer.params()[k].shape)));
    }
  }
  std::vector<at::Tensor> prepared;
  for (const at::Tensor& p : params) prepared.push_back(p.contiguous());
  const int64_t present = (graph.relations.defined() ? 1 : 0) | (graph.weights.defined() ? 2 : 0);
  std::vector<at::Tensor> g{graph.offsets.contiguous(), graph.neighbors.contiguous(),
                            graph.relations.defined() ? graph.relations.contiguous() : at::empty({0}, at::kLong),
                            graph.weights.defined() ? graph.weights.contiguous() : at::empty({0}, at::kFloat),
                            graph.degrees.contiguous()};
  return PluginLayer::apply(input.to(at::kFloat).contiguous(), at::TensorList(prepared), at::TensorList(g), present,
                            reinterpret_cast<int64_t>(&layer), training, static_cast<int64_t>(seed));
}

}  // namespace marius
