// core/tasks/node_classification/node_classification_session.h - one node
// classification job: configuration, dataset (edges, features, labels,
// splits), the GNN encoder, and what the CLI offers on them: train (epochs
// through the epoch scheduler and the pipeline, validation accuracy after each,
// a checkpoint, metrics.jsonl), evaluate (accuracy and macro-F1), predict (a
// node's top classes) and export (final-layer representations).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "core/data/dataset.h"
#include "core/data/feature_file.h"
#include "core/data/node_data.h"
#include "core/gnn/adjacency.h"
#include "core/gnn/dense_optimizer.h"
#include "core/gnn/encoder.h"
#include "core/model/model.h"
#include "core/plugin/ordering_policy.h"
#include "core/plugin/registry.h"
#include "core/dist/cluster.h"
#include "core/dist/gradient_exchange.h"
#include "core/run/scheduler.h"
#include "core/run/train_run.h"
#include "core/tasks/node_classification/node_classification_task.h"

namespace marius {

struct ClassificationMetrics {
  double accuracy = 0;
  double macro_f1 = 0;
  int64_t nodes = 0;
  double seconds = 0;
  std::string inference;  // "full" or "sampled"
  nlohmann::ordered_json json() const;
};

struct NodeClassificationReport {
  int64_t epochs_trained = 0;  // by this call
  int64_t epochs_done = 0;     // in total
  bool stopped = false;        // the observer asked to stop early
  double last_mean_loss = 0;   // per training node, of the last epoch
  double train_seconds = 0;    // summed epoch time
  double checkpoint_seconds = 0;
  double nodes_per_sec = 0;  // mean over epochs, the first left out when more than one ran
  EpochResult last;
  std::optional<ClassificationMetrics> valid, test;
};

class NodeClassificationSession {
 public:
  // Opens the dataset and its node data, checks that the configuration can
  // train on it (labels, training nodes, an encoder, an input), builds the
  // adjacency and loads the layer plugin. Throws Error naming the key or file.
  //
  // Out of core (a dataset preprocessed with --partitions and
  // storage.buffer_capacity below their number) the feature table stays in
  // features.bin: training pages the features of storage.buffer_capacity
  // partitions at a time along the ordering plugin's plan (FeaturePages), each
  // training node in one state holding its partition, with neighbourhoods
  // sampled among the resident partitions; evaluation streams (full
  // inference: streaming_inference.h, layer outputs in scratch files under
  // output.dir/inference.XXXXXX; sampled: each batch gathers its rows from
  // features.bin).
  // Only features page: learned node embeddings (model.node_input =
  // "embeddings" or "both") are refused out of core.
  NodeClassificationSession(Config config, const std::vector<std::string>& plugin_paths);
  ~NodeClassificationSession();

  // A fresh model (refusing an output.dir that holds a checkpoint unless
  // `overwrite`), or the checkpoint in output.dir (resume).
  void initialize(bool resume, bool overwrite = false);
  // Distributed data parallelism (docs/distributed.md), after initialize():
  // every worker takes rank 0's weights, trains its shard of each epoch's
  // training nodes, and exchanges dense gradients (distributed.staleness);
  // each epoch's record gets "distributed" (collectives, bytes, seconds).
  // Throws Error(UNSUPPORTED) naming the key of what does not run distributed
  // (features out of core, learned embeddings, pipeline.dense_updates =
  // "async"), Error(INVALID_ARGUMENT) when the workers resumed different epochs.
  void distribute(Cluster& cluster);

  // Trains options.epochs more epochs (-1: up to training.epochs), with
  // validation accuracy after each (evaluation.every_epoch), checkpoints as
  // output.checkpoint_every_epoch says (always the state the call ends in),
  // and a record of each in metrics.jsonl; a progress line on
  // options.progress, each epoch's summary line on `out` (either may be null).
  // `observer` hears of it as of Session::train (units are training nodes;
  // EpochReport::valid stays empty, its record holds the accuracy). Throws
  // Error(CANCELLED) after Ctrl-C and Error(NON_FINITE) when a value became
  // NaN or infinite; after NON_FINITE the session refuses to save or train.
  NodeClassificationReport train(const TrainOptions& options, std::FILE* out, TrainObserver* observer = nullptr);

  ClassificationMetrics evaluate(Split split);
  // Class probabilities of `nodes` (int64 dense ids), [n, classes], with the
  // configured inference (evaluation.inference).
  at::Tensor probabilities(const at::Tensor& nodes);
  // The final layer's output of every node (full-neighbourhood inference), [N,
  // classes]: the class logits. Computed once per state of the model (training
  // and initialize drop it; so must a caller that writes the input embeddings,
  // by forget_representations()).
  const at::Tensor& representations();
  void forget_representations();
  // What the encoder reads: features and/or learnable embeddings.
  const GnnInput& input() const { return input_; }
  void save();

  const Config& config() const { return config_; }
  const Dataset& dataset() const { return dataset_; }
  const NodeData& node_data() const { return node_data_; }
  bool out_of_core() const { return capacity_ > 0; }
  int64_t epochs_done() const { return epochs_done_; }
  std::filesystem::path checkpoint_path() const;

 private:
  // The scheduler (and out of core the feature pages, which evaluation frees).
  void prepare_training();
  at::Tensor logits_of(const at::Tensor& nodes);  // configured inference, no grad
  // The input rows of `nodes` (features normalised as configured).
  at::Tensor input_rows_of(const at::Tensor& nodes) const;
  // The whole-graph adjacency (out of core: loaded for evaluation, dropped when training).
  const Adjacency& adjacency();
  // Full-neighbourhood outputs out of core: the streamed last layer's file.
  const FeatureFile& full_output_file();
  at::Tensor full_outputs_;  // representations(), or undefined
  std::optional<FeatureFile> full_output_file_;  // out of core, or none
  std::filesystem::path inference_dir_;          // its scratch directory, or empty

  Config config_;
  PluginRegistry registry_;
  Dataset dataset_;
  NodeData node_data_;
  int32_t capacity_ = 0;  // out of core: partitions per state; 0 in memory
  std::unique_ptr<OrderingPolicy> ordering_;  // out of core
  std::optional<FeatureFile> feature_file_;   // out of core
  std::unique_ptr<FeaturePages> pages_;       // out of core, while training
  Adjacency adjacency_;
  bool adjacency_loaded_ = false;
  Cluster* cluster_ = nullptr;                 // distributed: the workers
  std::unique_ptr<GradientExchange> exchange_;  // distributed: the dense gradients' exchange
  at::Tensor neighbourhood_degrees_;  // out of core: the whole graph's row lengths, float32 [N]
  GnnInput input_;
  std::unique_ptr<GnnEncoder> encoder_;
  std::unique_ptr<DenseOptimizer> optimizer_;
  Model model_;  // the scheduler's view: no node tables, no relations
  std::unique_ptr<NodeClassificationTask> task_;
  std::unique_ptr<EpochScheduler> scheduler_;
  int64_t epochs_done_ = 0;
  int64_t saved_epochs_ = -1;  // epochs_done_ of the checkpoint in output.dir; -1: none written or loaded
  std::string non_finite_;
};

}  // namespace marius
