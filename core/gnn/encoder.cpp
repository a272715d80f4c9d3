#include "core/gnn/encoder.h"

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/generated/variable_factories.h>

#include "core/error.h"
#include "core/gnn/layer_autograd.h"
#include "core/run/seed_mix.h"

namespace marius {

at::Tensor initial_parameter(const LayerParamSpec& spec, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  at::Tensor t = at::empty(spec.shape, at::kFloat);
  switch (spec.init) {
    case MARIUS_INIT_ZEROS: return t.zero_();
    case MARIUS_INIT_ONES: return t.fill_(1.0);
    case MARIUS_INIT_UNIFORM: return t.uniform_(-spec.scale, spec.scale, gen);
    case MARIUS_INIT_NORMAL: return t.normal_(0.0, spec.scale, gen);
    default: {
      const int64_t n = static_cast<int64_t>(spec.shape.size());
      const double fan_in = n >= 2 ? static_cast<double>(spec.shape[n - 2]) : 1.0;
      const double fan_out = static_cast<double>(spec.shape[n - 1]);
      const double a = spec.scale * std::sqrt(6.0 / (fan_in + fan_out));
      return t.uniform_(-a, a, gen);
    }
  }
}

GnnEncoder::GnnEncoder(PluginRegistry& registry, const EncoderSpec& spec, uint64_t seed) : spec_(spec) {
  if (spec.num_layers < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "model.layers must be at least 1, got {}", spec.num_layers);
  const Manifest& manifest = registry.find(spec.layer, MARIUS_KIND_LAYER);
  auto plugin = registry.load(manifest);
  bool has_activation = false;
  for (const auto& o : manifest.options) has_activation |= o.name == "activation";
  for (int64_t k = 0; k < spec.num_layers; ++k) {
    const bool last = k + 1 == spec.num_layers;
    OptionInputs options = spec.options;
    if (last) {
      if (has_activation && spec.output_options.count("activation") == 0) options["activation"] = std::string("none");
      for (const auto& [key, value] : spec.output_options) options[key] = value;
    }
    const int64_t in = k == 0 ? spec.in_dim : spec.hidden_dim;
    const int64_t out = last ? spec.out_dim : spec.hidden_dim;
    layers_.push_back(std::make_unique<GnnLayer>(plugin, options, in, out, spec.num_relations));
    std::vector<at::Tensor> params;
    for (size_t i = 0; i < layers_.back()->params().size(); ++i) {
      const LayerParamSpec& p = layers_.back()->params()[i];
      at::Tensor t = initial_parameter(p, mix(seed ^ mix(static_cast<uint64_t>(k) * 1000 + i + 1)));
      t.set_requires_grad(true);
      params.push_back(t);
      flat_.push_back(t);
      names_.push_back("layer" + std::to_string(k) + "." + p.name);
    }
    params_.push_back(std::move(params));
  }
}

GnnEncoder::~GnnEncoder() = default;

at::Tensor GnnEncoder::forward(const DenseSample& sample, const at::Tensor& input, bool training, uint64_t seed) const {
  return forward(sample, input, training, seed, params_);
}

at::Tensor GnnEncoder::forward(const DenseSample& sample, const at::Tensor& input, bool training, uint64_t seed,
                               const std::vector<std::vector<at::Tensor>>& params) const {
  if (sample.num_layers() != num_layers()) {
    fail(MARIUS_ERR_INTERNAL, "encoder: a sample of {} hops for {} layers", sample.num_layers(), num_layers());
  }
  at::Tensor h = input;
  for (int64_t k = 0; k < num_layers(); ++k) {
    h = plugin_layer(layer(k), sample.layer(k), h, params[static_cast<size_t>(k)], training,
                     mix(seed + static_cast<uint64_t>(k)));
  }
  return h;
}

at::Tensor GnnEncoder::infer(const Adjacency& adjacency, const at::Tensor& input) const {
  const LayerGraph graph = full_graph(adjacency);
  at::Tensor h = input;
  for (int64_t k = 0; k < num_layers(); ++k) h = infer_layer(k, graph, h);
  return h;
}

at::Tensor GnnEncoder::infer_layer(int64_t k, const LayerGraph& graph, const at::Tensor& input) const {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> params;
  for (const at::Tensor& p : params_[static_cast<size_t>(k)]) params.push_back(p.detach());
  return plugin_layer(layer(k), graph, input, params, /*training=*/false, 0);
}

}  // namespace marius
