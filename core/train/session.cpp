#include "core/train/session.h"

#include <sys/resource.h>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/logging.h"
#include "core/train/checkpoint.h"

namespace fs = std::filesystem;

namespace marius {

double peak_rss_mb() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

namespace {

Dataset open_dataset(const Config& config) {
  if (config.dataset.empty()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "dataset.path is not set (give it in the config or with --set dataset.path=DIR)");
  }
  return Dataset::open(config.dataset);
}

}  // namespace

Session::Session(Config config, const std::vector<std::string>& plugin_paths)
    : config_(std::move(config)), dataset_(open_dataset(config_)) {
  if (!dataset_.info().has_relations) config_.inverse_relations = false;  // nothing to invert
  registry_.add_builtin();
  for (const auto& p : plugin_paths) registry_.add_path(p);
  score_ = std::make_unique<ScoreFunction>(registry_.load(registry_.find(config_.score, MARIUS_KIND_SCORE_FUNCTION)),
                                           config_.score_options);
  sampler_ = std::make_unique<NegativeSampler>(
      registry_.load(registry_.find(config_.sampler, MARIUS_KIND_NEGATIVE_SAMPLER)), config_.sampler_options);
}

Session::~Session() = default;

fs::path Session::checkpoint_path() const { return fs::path(config_.output) / "checkpoint.bin"; }

void Session::initialize(bool resume) {
  const DatasetInfo& info = dataset_.info();
  if (resume) {
    CheckpointInfo meta;
    model_ = std::make_unique<Model>(load_checkpoint(checkpoint_path(), &meta));
    Config saved = Config::parse(meta.config_toml, checkpoint_path().string() + " (stored config)", {});
    auto differ = [&](const char* key, const std::string& a, const std::string& b) {
      if (a != b) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: {} is {} here but {} in {}", key, a, b, checkpoint_path().string());
      }
    };
    differ("model.score", config_.score, saved.score);
    differ("model.dim", std::to_string(config_.dim), std::to_string(saved.dim));
    if (model_->num_nodes != info.num_nodes || model_->num_relations != info.num_relations) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: the checkpoint {} has {} nodes and {} relations, the dataset {} has {} and {}",
           checkpoint_path().string(), model_->num_nodes, model_->num_relations, config_.dataset, info.num_nodes,
           info.num_relations);
    }
    if (model_->inverse_relations != config_.inverse_relations) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: model.inverse_relations is {} here but {} in {}",
           config_.inverse_relations, model_->inverse_relations, checkpoint_path().string());
    }
    if (config_.relation_optimizer == "adam" && !model_->relation_state2.defined()) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: the checkpoint was trained with adagrad relations, the config says adam");
    }
    epochs_done_ = meta.epochs_done;
    logger().info("loaded {} (after epoch {})", checkpoint_path().string(), epochs_done_);
  } else {
    model_ = std::make_unique<Model>(Model::create(config_, info.num_nodes, info.num_relations, *score_));
    epochs_done_ = 0;
  }
}

EpochResult Session::train_epoch(Progress* progress) {
  if (!model_) fail(MARIUS_ERR_INVALID_ARGUMENT, "train_epoch: the session has no model (call initialize)");
  if (!trainer_) {
    trainer_ = std::make_unique<Trainer>(config_, *model_, dataset_.edges(Split::kTrain), dataset_.degrees(), *score_,
                                         *sampler_);
  }
  EpochResult r = trainer_->train_epoch(epochs_done_, progress);
  ++epochs_done_;
  return r;
}

const StepTimes& Session::last_step_times() const {
  static const StepTimes none;
  return trainer_ ? trainer_->last_times() : none;
}

RankMetrics Session::evaluate(Split split) {
  if (!model_) fail(MARIUS_ERR_INVALID_ARGUMENT, "evaluate: the session has no model");
  if (!evaluator_) {
    for (Split s : {Split::kTrain, Split::kValid, Split::kTest}) split_edges_[static_cast<int>(s)] = dataset_.edges(s);
    evaluator_ = std::make_unique<Evaluator>(at::cat({split_edges_[0], split_edges_[1], split_edges_[2]}),
                                             dataset_.degrees(), dataset_.info().num_relations);
  }
  const at::Tensor& edges = split_edges_[static_cast<int>(split)];
  if (config_.eval_protocol == "sampled") {
    return evaluator_->sampled(*model_, *score_, edges, config_.eval_negatives, config_.eval_batch_size,
                               static_cast<uint64_t>(config_.seed) + 17);
  }
  return evaluator_->filtered(*model_, *score_, edges, config_.eval_batch_size);
}

void Session::save() {
  std::error_code ec;
  fs::create_directories(config_.output, ec);
  if (ec) fail(MARIUS_ERR_IO, "output.dir {}: cannot create: {}", config_.output, ec.message());
  save_checkpoint(checkpoint_path(), *model_, CheckpointInfo{epochs_done_, config_.to_toml()});
}

}  // namespace marius
