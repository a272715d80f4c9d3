// core/config/config.h - the training configuration (docs/config.md).
//
// Read from a TOML file, then `--set key=value` overrides (dotted keys), then
// validated key by key against one schema (config_schema.cpp), which also
// generates docs/config.md (`marius-run config --markdown`). An unknown key, a
// wrong type, a value out of the key's range (sizes have upper bounds too) or a
// float that is not finite (nan, inf) is an error naming the key (and file:line
// when it came from a file). Choice keys are parsed once into enums
// (choices.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/choices.h"
#include "core/config/value.h"  // Value, OptionInputs

namespace marius {

struct Config {
  // [dataset]
  std::string dataset;  // preprocessed dataset directory

  // [model]
  TaskKind task = TaskKind::kLinkPrediction;
  std::string score = "distmult";  // score-function plugin name or manifest path
  OptionInputs score_options;      // [model.score_options], checked against the plugin's manifest
  int64_t dim = 50;
  bool inverse_relations = true;   // separate parameters for each relation's inverse
  InitKind init = InitKind::kUniform;
  double init_scale = 1e-3;        // uniform: U(-s, s); normal: N(0, s^2)
  // GNN encoder (docs/gnn.md): empty encoder = none
  std::string encoder;               // layer plugin name or manifest path
  OptionInputs encoder_options;      // [model.encoder_options], every layer's
  OptionInputs output_layer_options; // [model.output_layer_options], the last layer's on top
  int64_t layers = 1;
  int64_t hidden_dim = 0;            // 0: model.dim
  std::string fanouts = "all";       // per hop, hop 1 first: "15,10,5", "all", "dropout:0.5"
  NeighborDirection direction = NeighborDirection::kBoth;
  NodeInput node_input = NodeInput::kAuto;  // what the first layer reads
  bool normalize_features = false;   // divide each feature row by its sum of absolute values

  // [negatives]
  std::string sampler = "uniform";  // negative-sampler plugin name or manifest path
  OptionInputs sampler_options;     // [negatives.sampler_options]
  int64_t chunks = 10;
  int64_t per_chunk = 500;
  bool filtered = false;            // drop true training edges from the negatives
  bool anchor_negatives = false;    // the chunk's uncorrupted nodes are negatives too
  bool shared_negatives = true;     // one set of negatives per chunk for both corrupted sides

  // [training]
  int64_t epochs = 10;
  int64_t batch_size = 1000;
  LossKind loss = LossKind::kSoftmax;
  double margin = 0.1;              // ranking loss
  Reduction reduction = Reduction::kSum;
  Regularization regularization = Regularization::kNone;
  double regularization_weight = 0.0;
  int64_t threads = 2;
  int64_t seed = 0;
  std::string device = "cpu";       // cpu | cuda | cuda:N: where node rows train (docs/out-of-core.md, "Three tiers")

  // [pipeline] (see docs/pipeline.md)
  PipelineMode pipeline_mode = PipelineMode::kPipelined;
  int64_t staleness = 4;                    // batches in flight (pipelined)
  int64_t load_workers = 1;
  int64_t compute_workers = 0;              // 0: training.threads
  int64_t update_workers = 1;
  int64_t queue_size = 2;                   // capacity of each queue between stages
  DenseUpdates dense_updates = DenseUpdates::kSync;  // GNN layer parameters: one batch at a time, or bounded-stale

  // [optimizer]
  double learning_rate = 0.1;             // sparse Adagrad on node embeddings
  NodeOptimizerKind node_optimizer = NodeOptimizerKind::kAdagrad;  // element-wise or row-wise sparse Adagrad
  RelationOptimizer relation_optimizer = RelationOptimizer::kAdagrad;
  double relation_learning_rate = -1;     // < 0: same as learning_rate
  double adagrad_eps = 1e-10;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_eps = 1e-8;
  DenseOptimizerKind dense_optimizer = DenseOptimizerKind::kAdam;  // GNN layer parameters
  double dense_learning_rate = 0.01;
  double weight_decay = 0.0;

  // [evaluation]
  EvalProtocol eval_protocol = EvalProtocol::kFiltered;
  bool eval_every_epoch = true;            // validation metrics after each epoch
  int64_t eval_negatives = 1000;           // sampled: n uniform + n degree-weighted
  std::string eval_hits_at = "10,20,50,100";  // given: the K of Hits@K (hits_at() parses it)
  int64_t eval_batch_size = 1000;
  InferenceMode inference = InferenceMode::kFull;  // GNN evaluation: full neighbourhoods or the sampler's

  // [distributed] (docs/distributed.md)
  double dist_timeout = 300;     // seconds to wait for the other workers
  int64_t dist_staleness = 0;    // GNN gradients applied s steps late; 0: synchronous
  int64_t dist_relation_sync = 16;  // link prediction: relations shared every k batches

  // [output]
  std::string output = "marius-output";  // checkpoints, metrics.jsonl, exports
  bool checkpoint_every_epoch = true;

  // [storage] (out-of-core training of a partitioned dataset)
  int64_t partitions = 0;          // expected partitions of the dataset; 0: whatever it has
  PartitionerChoice partitioner = PartitionerChoice::kAny;  // expected partitioner of the dataset
  int64_t buffer_capacity = 0;     // partitions in memory; 0 or >= p: everything in memory
  int64_t buffer_bytes = 0;        // > 0: capacity from a byte budget instead
  bool prefetch = true;            // one more slot, to load the next partition while training
  bool balance_negatives = true;   // equalise how often each partition's nodes are drawn as negatives
  std::string storage_backend = "posix";
  OptionInputs storage_backend_options;
  std::string ordering = "beta";
  OptionInputs ordering_options;
  std::string storage_dir;         // empty: output.dir/partitions
  int64_t generations = 2;         // partition file generations: 2 crash-safe, 1 half the disk
  int64_t device_capacity = 0;     // partitions in the device tier; 0: all of the tier below (cuda), none (cpu)
  int64_t device_bytes = 0;        // > 0: device capacity from a byte budget instead

  // Reads `file` (may be empty: defaults only) and applies `overrides`
  // ("section.key=value"). Throws Error(INVALID_ARGUMENT) naming the key.
  // Relative paths in the file (dataset.path, output.dir, storage.dir, and
  // plugin manifests ending in .toml) are taken relative to the file's
  // directory; those in overrides stay relative to the current directory.
  static Config load(const std::filesystem::path& file, const std::vector<std::string>& overrides);
  // Parses TOML text (used for the copy stored in checkpoints); `source` names it in errors.
  static Config parse(const std::string& text, const std::string& source, const std::vector<std::string>& overrides);

  // The configuration as TOML text that parse() reads back to an equal Config.
  std::string to_toml() const;

  double relation_lr() const { return relation_learning_rate < 0 ? learning_rate : relation_learning_rate; }
  // evaluation.hits_at as numbers (validated when the config was read).
  std::vector<int64_t> hits_at() const;
};

// Parses a list of Hits@K cut-offs, "10,20,50": positive integers, each once.
// Throws Error(INVALID_ARGUMENT) naming `key` otherwise.
std::vector<int64_t> parse_hits_at(const std::string& text, const std::string& key);

// docs/config.md's key table, generated from the schema.
std::string config_markdown();

}  // namespace marius
