// core/gnn/gnn_model.h - what both GNN tasks (node classification, link
// prediction with an encoder) build from one configuration, in one place: the
// neighbourhood direction, the features the encoder reads, the encoder's spec,
// and the encoder's parameters with their optimizer state as named tensors
// (the "param/", "adam_m/", "adam_v/" entries of encoder-<epoch>.bin and
// gnn_checkpoint.bin).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/config/config.h"
#include "core/data/node_data.h"
#include "core/gnn/adjacency.h"
#include "core/gnn/dense_optimizer.h"
#include "core/gnn/encoder.h"
#include "core/persist/tensor_archive.h"

namespace marius {

// model.direction as the adjacency's.
Direction direction_of(NeighborDirection direction);

// The feature table the encoder reads under model.node_input ("features" or
// "both"; an undefined tensor for "embeddings"), each row scaled to unit L1
// norm when model.normalize_features. Throws Error(INVALID_ARGUMENT) naming
// model.node_input when `data` has no features.
at::Tensor encoder_features(const Config& config, const NodeData& data, const std::string& dataset_dir);

// The encoder of model.encoder, .encoder_options, .output_layer_options,
// .layers and .hidden_dim (model.dim when 0), from `in_dim` to `out_dim`.
EncoderSpec encoder_spec(const Config& config, int64_t in_dim, int64_t out_dim, int64_t num_relations);

// Appends the encoder's parameters and the optimizer's moments to `out`.
void add_encoder_state(const GnnEncoder& encoder, DenseOptimizer& optimizer, NamedTensors& out);

// Restores what add_encoder_state wrote from `saved` (by name) into `encoder`
// and `optimizer` (not its step count). Throws Error(INVALID_ARGUMENT) naming
// `file` and the parameter when one is missing or of another shape.
void restore_encoder_state(const std::map<std::string, at::Tensor>& saved, const std::filesystem::path& file,
                           GnnEncoder& encoder, DenseOptimizer& optimizer);

}  // namespace marius
