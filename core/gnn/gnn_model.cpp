#include "core/gnn/gnn_model.h"

#include <ATen/ATen.h>
#include <c10/util/StringUtil.h>

#include "core/data/feature_file.h"
#include "core/error.h"

namespace marius {

Direction direction_of(NeighborDirection direction) {
  switch (direction) {
    case NeighborDirection::kIncoming: return Direction::kIncoming;
    case NeighborDirection::kOutgoing: return Direction::kOutgoing;
    default: return Direction::kBoth;
  }
}

at::Tensor encoder_features(const Config& config, const NodeData& data, const std::string& dataset_dir) {
  if (config.node_input != NodeInput::kFeatures && config.node_input != NodeInput::kBoth) return at::Tensor();
  if (!data.has_features()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "model.node_input = \"{}\" but dataset {} has no features (preprocess --features)",
         choice_name(config.node_input), dataset_dir);
  }
  at::Tensor f = data.features();
  if (config.normalize_features) {
    f = f.clone();
    l1_normalize_rows(f);
  }
  return f;
}

EncoderSpec encoder_spec(const Config& config, int64_t in_dim, int64_t out_dim, int64_t num_relations) {
  EncoderSpec spec;
  spec.layer = config.encoder;
  spec.options = config.encoder_options;
  spec.output_options = config.output_layer_options;
  spec.num_layers = config.layers;
  spec.in_dim = in_dim;
  spec.hidden_dim = config.hidden_dim > 0 ? config.hidden_dim : config.dim;
  spec.out_dim = out_dim;
  spec.num_relations = num_relations;
  return spec;
}

void add_encoder_state(const GnnEncoder& encoder, DenseOptimizer& optimizer, NamedTensors& out) {
  const std::vector<at::Tensor>& params = encoder.parameters();
  for (size_t k = 0; k < params.size(); ++k) {
    const std::string& name = encoder.parameter_names()[k];
    out.emplace_back("param/" + name, params[k]);
    if (k < optimizer.first_moments().size() && optimizer.first_moments()[k].defined()) {
      out.emplace_back("adam_m/" + name, optimizer.first_moments()[k]);
      out.emplace_back("adam_v/" + name, optimizer.second_moments()[k]);
    }
  }
}

void restore_encoder_state(const std::map<std::string, at::Tensor>& saved, const std::filesystem::path& file,
                           GnnEncoder& encoder, DenseOptimizer& optimizer) {
  std::vector<at::Tensor>& params = encoder.parameters();
  optimizer.first_moments().assign(params.size(), at::Tensor());
  optimizer.second_moments().assign(params.size(), at::Tensor());
  at::NoGradGuard no_grad;
  for (size_t k = 0; k < params.size(); ++k) {
    const std::string& name = encoder.parameter_names()[k];
    auto it = saved.find("param/" + name);
    if (it == saved.end() || it->second.sizes() != params[k].sizes()) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: {} has no parameter '{}' of shape {} (another encoder?)",
           file.string(), name, c10::str(params[k].sizes()));
    }
    params[k].copy_(it->second);
    auto m = saved.find("adam_m/" + name), v = saved.find("adam_v/" + name);
    if (m != saved.end() && v != saved.end()) {
      if (m->second.sizes() != params[k].sizes() || v->second.sizes() != params[k].sizes()) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: {}: the Adam state of '{}' is not shaped {}", file.string(), name,
             c10::str(params[k].sizes()));
      }
      optimizer.first_moments()[k] = m->second;
      optimizer.second_moments()[k] = v->second;
    }
  }
}

}  // namespace marius
