// core/run/session.h - one link-prediction job: configuration, dataset,
// plugins, model, and the operations the CLI (and the C API) offer on them:
// train (the whole run, train_run.cpp), evaluate, save; export and predict
// read its model.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/data/dataset.h"
#include "core/data/feature_file.h"
#include "core/data/given_negatives.h"
#include "core/plugin/negative_sampler.h"
#include "core/plugin/ordering_policy.h"
#include "core/plugin/storage_backend.h"
#include "core/plugin/registry.h"
#include "core/plugin/score_function.h"
#include "core/tasks/link_prediction/evaluator.h"
#include "core/model/model.h"
#include "core/model/node_rows.h"
#include "core/run/scheduler.h"
#include "core/run/train_run.h"
#include "core/tasks/link_prediction/link_prediction_task.h"
#include "core/gnn/adjacency.h"
#include "core/gnn/dense_optimizer.h"
#include "core/gnn/encoder.h"

namespace marius {

class Cluster;
class DistributedLinkPrediction;
struct WorldSpec;

class Session {
 public:
  // Opens the dataset and creates the score and sampler plugins. `plugin_paths`
  // are added after the built-in plugins (like --plugin). Throws Error naming
  // the key, file or plugin at fault.
  Session(Config config, const std::vector<std::string>& plugin_paths);
  ~Session();

  // A fresh model (resume = false), or the last checkpoint in output.dir. With
  // resume, the checkpoint's configuration must match this one in every key that
  // shapes the model (dataset, score, dim). A fresh model refuses an output.dir
  // that holds a checkpoint (nothing trained is replaced by accident) unless
  // `overwrite`. Before allocating, the model's memory is estimated and
  // refused, naming the keys to change, when it exceeds what this process may
  // use (memory_budget.h).
  //
  // Out of core (a partitioned dataset and storage.buffer_capacity below its
  // partition count), the node tables live in partition files under
  // storage.dir: a fresh model writes its initial partitions there; resume
  // verifies each partition against the checkpoint's CRCs.
  void initialize(bool resume, bool overwrite = false);

  // Makes this session one worker of a distributed run (docs/distributed.md,
  // "Distributed link prediction"); before initialize(), which then starts the
  // workers together: rank 0 creates (or restores) the partition files and the
  // others adopt them. Every epoch trains the buckets the lock service grants;
  // rank 0 commits the files and writes output.dir's checkpoint and
  // metrics.jsonl, rank K > 0 its metrics in output.dir/rank-K; only rank 0
  // evaluates. Throws Error(UNSUPPORTED) naming the key of a configuration
  // that cannot run distributed (in memory, a device tier, an encoder, the
  // memory backend, Adam relations). `cluster` must outlive the session.
  void distribute(Cluster& cluster);
  // distribute()'s checks of the configuration, before joining the others.
  void require_distributable(const WorldSpec& world) const;
  // Where this worker writes metrics.jsonl: output.dir, or output.dir/rank-K.
  std::filesystem::path metrics_dir() const;
  // Whether this worker evaluates (validation, the test at the end): not rank K > 0.
  bool evaluates() const;

  // True when training keeps only storage.buffer_capacity partitions in memory.
  bool out_of_core() const { return capacity_ > 0; }
  int32_t buffer_capacity() const { return capacity_; }
  // The device tier: training.device and d, its partitions (0: none).
  const std::string& device() const { return config_.device; }
  int32_t device_capacity() const { return device_capacity_; }
  // Bytes of the partition buffer's slab (0 in memory). The slab is allocated
  // for training and freed by evaluate().
  uint64_t buffer_bytes() const;
  // The node embeddings, in memory or in the partition files.
  const NodeRows& node_rows() const;

  const Config& config() const { return config_; }
  const Dataset& dataset() const { return dataset_; }
  Model& model() { return *model_; }
  const ScoreFunction& score() const { return *score_; }
  int64_t epochs_done() const { return epochs_done_; }
  std::filesystem::path checkpoint_path() const;

  // The training run: epochs up to options.epochs (or training.epochs), each
  // followed by validation and a checkpoint as configured, with a record of
  // each in output.dir/metrics.jsonl (see train_run.h). Throws Error(CANCELLED)
  // after Ctrl-C and Error(NON_FINITE) when a value became NaN or infinite;
  // either way the last checkpoint is kept, and after NON_FINITE this session
  // refuses to save or train again.
  TrainReport train(const TrainOptions& options, TrainObserver* observer = nullptr);

  // Trains the next epoch; `progress` may be null. Out of core it also commits
  // the partition files and writes the checkpoint (the next epoch overwrites
  // the previous generation, so the checkpoint must name the new one first).
  // train() is the whole run; this is its step (and the tests').
  EpochResult train_epoch(Progress* progress);
  // Tests: replaces sparse Adagrad on node rows in every later epoch (see
  // LinkPredictionTask::replace_node_optimizer).
  void replace_node_optimizer(LinkPredictionTask::NodeOptimizer apply);
  // Tests: the device path's kernels on the host too (LinkPredictionTask::use_device_kernels).
  void use_device_kernels(bool on);

  // Evaluates a split with the configured protocol; `progress` (may be null):
  // a progress line (bar, rankings/s, ETA) on this stream.
  RankMetrics evaluate(Split split, std::FILE* progress = nullptr);

  // Writes the checkpoint of the current state (refused after NON_FINITE).
  // With a GNN encoder, its parameters and optimizer state go to
  // output.dir/encoder-<epochs done>.bin first, then checkpoint.bin; then the
  // encoder files of other epochs are deleted. A crash between the two writes
  // leaves the previous checkpoint and its encoder file, which resume reads.
  void save();

  // With model.encoder: the encoder, and every node's output of it (full
  // neighbourhoods), the rows that evaluation, export and predict score.
  bool has_encoder() const { return encoder_ != nullptr; }
  at::Tensor representations();
  // output.dir/encoder-<epochs_done()>.bin: the encoder state of the checkpoint.
  std::filesystem::path encoder_path() const;

  // What the score function ranks in evaluation, export and predict: the model
  // and its node rows, or with an encoder a copy of the model whose node rows
  // are representations(), computed once per state of the model (train_epoch
  // and initialize drop it; so must a caller that writes the node table, by
  // forget_scored_tables()). The pointers are valid until then.
  struct ScoredTables {
    const Model* model;
    const NodeRows* rows;
  };
  ScoredTables scored_tables();
  void forget_scored_tables() { encoded_rows_.reset(); }

 private:
  // Estimates the run's memory (memory_budget.h) and refuses it when it does
  // not fit what this process may use.
  void check_memory() const;
  // The given and classification protocols (given_evaluation.h): `valid_edges`
  // set for classification (its thresholds come from the validation split).
  RankMetrics evaluate_given(Split split, const at::Tensor& edges, const at::Tensor* valid_edges, std::FILE* progress);
  // The dataset's negatives of `split`; throws Error(NOT_FOUND) naming the
  // preprocess option when it has none.
  const GivenNegatives& given_negatives(Split split);
  // The width of the node features an encoder reads (model.node_input), 0 without.
  int64_t encoder_feature_width() const;
  // model.encoder: the adjacency, the features read, the encoder and its
  // optimizer (from encoder_path() on resume).
  void initialize_encoder(bool resume);
  void save_encoder();

  Config config_;
  PluginRegistry registry_;
  Dataset dataset_;
  std::unique_ptr<ScoreFunction> score_;
  std::unique_ptr<NegativeSampler> sampler_;
  std::unique_ptr<Model> model_;
  int32_t capacity_ = 0;  // out of core: partitions in the buffer; 0 in memory
  int32_t device_capacity_ = 0;  // partitions in the device tier; 0: none
  std::unique_ptr<StorageBackend> storage_;
  std::unique_ptr<OrderingPolicy> ordering_;
  std::unique_ptr<PartitionStore> store_;
  std::unique_ptr<PartitionBuffer> buffer_;
  std::unique_ptr<NodeRows> node_rows_;
  std::unique_ptr<Task> task_;
  LinkPredictionTask* shallow_task_ = nullptr;  // task_ when it is the shallow-embedding task
  // GNN encoder (model.encoder): built by initialize().
  std::unique_ptr<Adjacency> adjacency_;
  std::unique_ptr<GnnEncoder> encoder_;
  std::unique_ptr<DenseOptimizer> dense_optimizer_;
  at::Tensor features_;  // node features the encoder reads (model.node_input), in memory; or undefined
  std::optional<FeatureFile> feature_file_;       // out of core with features: features.bin, read by rows
  std::unique_ptr<FeaturePages> feature_pages_;   // ... paged beside the buffer while training
  int64_t feature_dim_ = 0;                       // the features' width, 0 without
  Model encoded_model_;  // scored_tables() with an encoder: valid while encoded_rows_ is set
  std::unique_ptr<NodeRows> encoded_rows_;
  std::unique_ptr<EpochScheduler> scheduler_;
  LinkPredictionTask::NodeOptimizer node_optimizer_;
  bool device_kernels_ = false;
  std::unique_ptr<Evaluator> evaluator_;
  at::Tensor split_edges_[3];  // read once, by Split
  std::optional<GivenNegatives> given_negatives_[3];  // the dataset's, read once, by Split
  int64_t epochs_done_ = 0;
  int64_t saved_epochs_ = -1;   // epochs_done_ of the checkpoint in output.dir; -1: none written or loaded
  std::string non_finite_;      // set when training stopped on a non-finite value: the reason
  std::unique_ptr<DistributedLinkPrediction> distributed_;  // distribute(): this worker's part
};

// Opens config.dataset; throws Error(INVALID_ARGUMENT) when dataset.path is
// not set, else as Dataset::open.
Dataset open_dataset(const Config& config);

// Peak resident set size of this process, in MiB.
double peak_rss_mb();

}  // namespace marius
