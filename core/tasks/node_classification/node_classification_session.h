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
#include "core/data/node_data.h"
#include "core/gnn/adjacency.h"
#include "core/gnn/dense_optimizer.h"
#include "core/gnn/encoder.h"
#include "core/model/model.h"
#include "core/plugin/registry.h"
#include "core/run/scheduler.h"
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
  int64_t epochs_trained = 0;
  double train_seconds = 0;
  double nodes_per_sec = 0;  // mean over epochs, the first left out when more than one ran
  EpochResult last;
  std::optional<ClassificationMetrics> valid, test;
};

class NodeClassificationSession {
 public:
  // Opens the dataset and its node data, checks that the configuration can
  // train on it (labels, training nodes, an encoder, an input), builds the
  // adjacency and loads the layer plugin. Throws Error naming the key or file.
  NodeClassificationSession(Config config, const std::vector<std::string>& plugin_paths);
  ~NodeClassificationSession();

  // A fresh model (refusing an output.dir that holds a checkpoint unless
  // `overwrite`), or the checkpoint in output.dir (resume).
  void initialize(bool resume, bool overwrite = false);

  // Trains up to training.epochs (epochs > 0: this many more); prints a
  // progress line on `progress` when given, and each epoch's summary on `out`.
  NodeClassificationReport train(int64_t epochs, std::FILE* progress, std::FILE* out, bool test_at_end);

  ClassificationMetrics evaluate(Split split);
  // Class probabilities of every node, [N, classes] (the configured inference).
  at::Tensor probabilities();
  // The final layer's output of every node (full-neighbourhood inference), [N, out].
  at::Tensor representations();
  void save();

  const Config& config() const { return config_; }
  const Dataset& dataset() const { return dataset_; }
  const NodeData& node_data() const { return node_data_; }
  int64_t epochs_done() const { return epochs_done_; }
  std::filesystem::path checkpoint_path() const;

 private:
  at::Tensor logits_of(const at::Tensor& nodes);  // configured inference, no grad

  Config config_;
  PluginRegistry registry_;
  Dataset dataset_;
  NodeData node_data_;
  Adjacency adjacency_;
  GnnInput input_;
  std::unique_ptr<GnnEncoder> encoder_;
  std::unique_ptr<DenseOptimizer> optimizer_;
  Model model_;  // the scheduler's view: no node tables, no relations
  std::unique_ptr<NodeClassificationTask> task_;
  std::unique_ptr<EpochScheduler> scheduler_;
  int64_t epochs_done_ = 0;
  std::string non_finite_;
};

}  // namespace marius
