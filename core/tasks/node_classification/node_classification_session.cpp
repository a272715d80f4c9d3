#include "core/tasks/node_classification/node_classification_session.h"

#include <chrono>
#include <map>
#include <sstream>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.h"
#include "core/gnn/gnn_model.h"
#include "core/gnn/streaming_inference.h"
#include "core/run/tier_config.h"
#include "core/logging.h"
#include "core/persist/tensor_archive.h"
#include "core/run/allocator.h"
#include "core/run/interrupt.h"
#include "core/run/metrics_file.h"
#include "core/run/progress.h"
#include "core/run/seed_mix.h"
#include "core/run/session.h"  // open_dataset, peak_rss_mb

namespace fs = std::filesystem;

namespace marius {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

nlohmann::ordered_json ClassificationMetrics::json() const {
  return {{"accuracy", accuracy}, {"macro_f1", macro_f1}, {"nodes", nodes}, {"inference", inference}, {"seconds", seconds}};
}

NodeClassificationSession::NodeClassificationSession(Config config, const std::vector<std::string>& plugin_paths)
    : config_(std::move(config)), dataset_(open_dataset(config_)) {
  keep_freed_memory_for_reuse();  // per-batch temporaries are large: reuse freed pages, don't fault in fresh ones
  const DatasetInfo& info = dataset_.info();
  const std::string dir = dataset_.dir().string();
  capacity_ = resolve_capacity(config_, dataset_, feature_width(dataset_.dir()) * 4);  // pages of feature rows
  node_data_ = NodeData::open(dataset_.dir(), info.num_nodes, /*load_features=*/!out_of_core());
  if (config_.encoder.empty()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "model.task = \"node_classification\" needs model.encoder (graphsage, gcn, gat, rgcn or a manifest)");
  }
  if (!node_data_.has_labels()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "dataset {} has no labels (preprocess it with --labels and --train-nodes)", dir);
  }
  if (node_data_.nodes(Split::kTrain).numel() == 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "dataset {} has no training nodes (preprocess it with --train-nodes)", dir);
  }
  if (config_.node_input == NodeInput::kAuto) {
    config_.node_input = node_data_.has_features() ? NodeInput::kFeatures : NodeInput::kEmbeddings;
  }
  registry_.add_builtin();
  for (const auto& p : plugin_paths) registry_.add_path(p);
  if (out_of_core()) {
    if (config_.node_input != NodeInput::kFeatures) {
      fail(MARIUS_ERR_UNSUPPORTED,
           "model.node_input = \"{}\": node classification out of core (storage.buffer_capacity = {} of the dataset's "
           "{} partitions) pages node features only; learned node embeddings train in memory (storage.buffer_capacity "
           "= 0, or model.node_input = \"features\")",
           choice_name(config_.node_input), capacity_, dataset_.partition_offsets().size() - 1);
    }
    if (!node_data_.has_features()) encoder_features(config_, node_data_, dir);  // names the missing features
    ordering_ = std::make_unique<OrderingPolicy>(
        registry_.load(registry_.find(config_.ordering, MARIUS_KIND_ORDERING_POLICY)), config_.ordering_options);
    feature_file_ = FeatureFile::open(dataset_.dir() / node_file_name(kNodeFeatures32), info.num_nodes);
    // The layers' degrees are the whole graph's (marius/abi/layer.h), also when a
    // state's neighbourhoods are restricted: keep them, not the adjacency.
    neighbourhood_degrees_ = Adjacency::load(dataset_, direction_of(config_.direction)).degrees;
  } else {
    adjacency();  // the task samples from it
  }
}

const Adjacency& NodeClassificationSession::adjacency() {
  if (!adjacency_loaded_) {
    adjacency_ = Adjacency::load(dataset_, direction_of(config_.direction));
    adjacency_loaded_ = true;
  }
  return adjacency_;
}

NodeClassificationSession::~NodeClassificationSession() { forget_representations(); }

void NodeClassificationSession::forget_representations() {
  full_outputs_ = at::Tensor();
  full_output_file_.reset();
  if (!inference_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(inference_dir_, ec);
    inference_dir_.clear();
  }
}

fs::path NodeClassificationSession::checkpoint_path() const { return fs::path(config_.output) / "gnn_checkpoint.bin"; }

void NodeClassificationSession::initialize(bool resume, bool overwrite) {
  const int64_t n = dataset_.info().num_nodes;
  std::error_code ec;
  if (!resume && !overwrite && fs::exists(checkpoint_path(), ec)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "output.dir {} already holds a checkpoint ({}); continue it with --resume, or replace it with --overwrite",
         config_.output, checkpoint_path().string());
  }
  input_ = GnnInput{};
  if (!out_of_core()) input_.features = encoder_features(config_, node_data_, dataset_.dir().string());
  if (config_.node_input == NodeInput::kEmbeddings || config_.node_input == NodeInput::kBoth) {
    input_.embeddings = Model::initial_embeddings(config_, n, 0);
    input_.embedding_state = at::zeros_like(input_.embeddings);
  }
  const int64_t width = out_of_core() ? node_data_.feature_dim() : input_.width();
  const EncoderSpec spec = encoder_spec(config_, width, node_data_.num_classes(),
                                        Adjacency::edge_types(dataset_.info(), direction_of(config_.direction)));
  encoder_ = std::make_unique<GnnEncoder>(registry_, spec, static_cast<uint64_t>(config_.seed));
  optimizer_ = std::make_unique<DenseOptimizer>(config_);
  epochs_done_ = 0;
  saved_epochs_ = -1;
  non_finite_.clear();
  forget_representations();
  if (resume) {
    std::string text;
    NamedTensors saved = load_tensor_archive(checkpoint_path(), &text);
    std::map<std::string, at::Tensor> by_name(saved.begin(), saved.end());
    auto restore = [&](const std::string& name, at::Tensor& into, bool required) {
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        if (required) fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: {} has no '{}' (another model?)", checkpoint_path().string(), name);
        return;
      }
      if (!into.defined()) {
        into = it->second;
        return;
      }
      if (it->second.sizes() != into.sizes()) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: '{}' is {} in {} but {} for this configuration", name,
             c10::str(it->second.sizes()), checkpoint_path().string(), c10::str(into.sizes()));
      }
      at::NoGradGuard no_grad;
      into.copy_(it->second);
    };
    restore_encoder_state(by_name, checkpoint_path(), *encoder_, *optimizer_);
    if (input_.embeddings.defined()) {
      restore("embeddings", input_.embeddings, true);
      restore("embedding_state", input_.embedding_state, true);
    }
    at::Tensor counters;
    restore("counters", counters, true);
    epochs_done_ = counters[0].item<int64_t>();
    optimizer_->set_steps(counters[1].item<int64_t>());
    saved_epochs_ = epochs_done_;
    logger().info("loaded {} (after epoch {})", checkpoint_path().string(), epochs_done_);
  }
  model_ = Model{};
  model_.num_nodes = n;
  model_.dim = config_.dim;
  task_ = std::make_unique<NodeClassificationTask>(config_, *encoder_, *optimizer_,
                                                   out_of_core() ? nullptr : &adjacency_, input_, node_data_.labels());
  cluster_ = nullptr;  // distribute() again to join
  exchange_.reset();
  scheduler_.reset();
}

void NodeClassificationSession::distribute(Cluster& cluster) {
  if (!encoder_) fail(MARIUS_ERR_INVALID_ARGUMENT, "distribute: the session has no model (call initialize)");
  const std::string who = cluster.world().describe();
  if (out_of_core()) {
    fail(MARIUS_ERR_UNSUPPORTED, "distributed ({}): node classification with the features out of core "
         "(storage.buffer_capacity = {}) does not run distributed yet; train in memory", who, capacity_);
  }
  if (input_.embeddings.defined()) {
    fail(MARIUS_ERR_UNSUPPORTED, "distributed ({}): model.node_input = \"{}\": learned node embeddings do not run "
         "distributed yet; use model.node_input = \"features\"", who, choice_name(config_.node_input));
  }
  if (config_.dense_updates == DenseUpdates::kAsync) {
    fail(MARIUS_ERR_UNSUPPORTED, "distributed ({}): pipeline.dense_updates = \"async\" within a worker does not "
         "combine with workers exchanging gradients; use \"sync\" and distributed.staleness for bounded-asynchronous "
         "training", who);
  }
  if (config_.dist_staleness > 0 && config_.dense_optimizer != DenseOptimizerKind::kSgd && config_.adam_beta1 > 0) {
    logger().warn("distributed.staleness = {} with optimizer.adam_beta1 = {}: late gradients add momentum of their own, "
                  "and on Cora only optimizer.adam_beta1 = 0 with a smaller learning rate kept test accuracy within "
                  "0.01 of one process (docs/distributed.md, \"Distributed GNN training\")",
                  config_.dist_staleness, config_.adam_beta1);
  }
  // Every worker resumed the same epoch (each from its own checkpoint, written alike).
  at::Tensor epochs = at::tensor({epochs_done_, int64_t{1}}, at::kLong);
  cluster.all_reduce_sum(epochs);
  if (epochs[0].item<int64_t>() != epochs_done_ * epochs[1].item<int64_t>()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "distributed ({}): the workers start from different epochs (this one after "
         "epoch {}); resume every worker from checkpoints of the same epoch", who, epochs_done_);
  }
  // Rank 0's weights everywhere (a sum in which the others give zeros).
  at::NoGradGuard no_grad;
  for (at::Tensor& p : encoder_->parameters()) {
    at::Tensor mine = cluster.rank() == 0 ? p.detach().clone().contiguous() : at::zeros_like(p).contiguous();
    cluster.all_reduce_sum(mine);
    p.copy_(mine);
  }
  cluster_ = &cluster;
  exchange_ = std::make_unique<GradientExchange>(cluster, config_.dist_staleness);
  task_->set_exchange(exchange_.get(), cluster.rank());
  cluster.take_stats();
  forget_representations();
  scheduler_.reset();
}

void NodeClassificationSession::save() {
  if (!non_finite_.empty()) fail(MARIUS_ERR_NON_FINITE, "not saving over {}: {}", checkpoint_path().string(), non_finite_);
  std::error_code ec;
  fs::create_directories(config_.output, ec);
  if (ec) fail(MARIUS_ERR_IO, "output.dir {}: cannot create: {}", config_.output, ec.message());
  NamedTensors tensors;
  add_encoder_state(*encoder_, *optimizer_, tensors);
  if (input_.embeddings.defined()) {
    tensors.emplace_back("embeddings", input_.embeddings);
    tensors.emplace_back("embedding_state", input_.embedding_state);
  }
  tensors.emplace_back("counters", at::tensor({epochs_done_, optimizer_->steps()}, at::kLong));
  save_tensor_archive(checkpoint_path(), config_.to_toml(), tensors);
  saved_epochs_ = epochs_done_;
}

void NodeClassificationSession::prepare_training() {
  if (out_of_core() && !pages_) {  // the pages exist while training; evaluation frees them
    adjacency_ = Adjacency{};  // training samples among the resident partitions only
    adjacency_loaded_ = false;
    const std::vector<int64_t>& offsets = dataset_.partition_offsets();
    const int64_t largest = dataset_.largest_partition_rows();
    // One slot more with storage.prefetch: the next state's new partition reads while a state trains.
    const int32_t slots = std::min<int32_t>(capacity_ + (config_.prefetch ? 1 : 0), static_cast<int32_t>(offsets.size()) - 1);
    pages_ = std::make_unique<FeaturePages>(*feature_file_, offsets, slots, largest, config_.normalize_features);
    logger().info("out of core: features of {} partitions of up to {} nodes in {}; {} partition(s){} paged = {:.1f} MB; "
                  "ordering {}", offsets.size() - 1, largest, feature_file_->path().string(), capacity_,
                  slots > capacity_ ? " + 1 prefetch slot" : "", static_cast<double>(pages_->slab_bytes()) / 1e6,
                  config_.ordering);
    scheduler_.reset();
  }
  if (!scheduler_) {
    Tiers tiers{&dataset_, nullptr, nullptr, c10::kCPU, 0};
    if (out_of_core()) {
      tiers.ordering = ordering_.get();
      tiers.features = pages_.get();
      tiers.capacity = capacity_;
      tiers.train_nodes = node_data_.nodes(Split::kTrain);
      tiers.neighbourhood_degrees = neighbourhood_degrees_;
    }
    if (cluster_ != nullptr) tiers.shard = cluster_->rank(), tiers.shards = cluster_->world_size();
    scheduler_ = std::make_unique<EpochScheduler>(
        config_, model_, out_of_core() ? at::Tensor() : node_data_.nodes(Split::kTrain).view({-1, 1}),
        dataset_.degrees(), tiers);
  }
}

NodeClassificationReport NodeClassificationSession::train(const TrainOptions& options, std::FILE* out,
                                                          TrainObserver* observer) {
  if (!encoder_) fail(MARIUS_ERR_INVALID_ARGUMENT, "train: the session has no model (call initialize)");
  if (!non_finite_.empty()) fail(MARIUS_ERR_NON_FINITE, "train: {}", non_finite_);
  if (options.epochs < -1) fail(MARIUS_ERR_INVALID_ARGUMENT, "train: epochs must be 0 or more, got {}", options.epochs);
  TrainObserver silent;
  TrainObserver& watch = observer != nullptr ? *observer : silent;
  const int64_t last = options.epochs < 0 ? std::max(config_.epochs, epochs_done_) : epochs_done_ + options.epochs;
  std::error_code ec;
  fs::create_directories(config_.output, ec);
  if (ec) fail(MARIUS_ERR_IO, "output.dir {}: cannot create: {}", config_.output, ec.message());
  MetricsFile metrics(fs::path(config_.output) / "metrics.jsonl", /*append=*/epochs_done_ > 0);
  const int64_t train_nodes = node_data_.nodes(Split::kTrain).numel();
  const bool validating = config_.eval_protocol != EvalProtocol::kNone && node_data_.nodes(Split::kValid).numel() > 0;
  NodeClassificationReport report;
  auto timed_save = [&] {
    const auto start = Clock::now();
    // Distributed, bounded-asynchronous: the averages still travelling go into
    // the weights before they are saved (between checkpoints, staleness spans
    // epochs, as in Dorylus).
    if (exchange_) {
      task_->drain_exchange();
      forget_representations();  // the drain changed the weights (and averaged them, with staleness)
    }
    save();
    report.checkpoint_seconds += std::chrono::duration<double>(Clock::now() - start).count();
  };
  double rate_sum = 0;
  int64_t measured = 0;
  while (epochs_done_ < last) {
    const int64_t epoch = epochs_done_ + 1;
    watch.epoch_started(epoch, last, train_nodes);
    Progress progress(fmt::format("epoch {}/{}", epoch, last), train_nodes, options.progress, "nodes");
    progress.set_observer([&watch](int64_t done, int64_t total, double loss) { watch.batches_done(done, total, loss); });
    EpochReport epoch_report;
    EpochResult& r = epoch_report.result;
    try {
      if (interrupt_requested()) fail(MARIUS_ERR_CANCELLED, "training interrupted before the epoch started");
      forget_representations();
      prepare_training();
      r = scheduler_->train_epoch(*task_, epochs_done_, &progress);
    } catch (const Error& e) {
      progress.finish();
      const std::string kept =
          saved_epochs_ >= 0 ? fmt::format("{} keeps the checkpoint of epoch {}", checkpoint_path().string(), saved_epochs_)
                             : std::string("no checkpoint was written");
      if (e.code() == MARIUS_ERR_CANCELLED) {
        fail(MARIUS_ERR_CANCELLED, "epoch {}: {}; {} (continue with --resume)", epoch, e.what(), kept);
      }
      if (e.code() == MARIUS_ERR_NON_FINITE) {
        non_finite_ = e.what();
        fail(MARIUS_ERR_NON_FINITE, "{}; {}", e.what(), kept);
      }
      throw;
    }
    progress.finish();
    ++epochs_done_;
    epoch_report.epoch = epoch;
    epoch_report.last = last;
    epoch_report.mean_loss = r.mean_loss(Reduction::kSum);
    nlohmann::ordered_json& record = epoch_report.record;
    record = {{"epoch", epoch},
              {"loss", epoch_report.mean_loss},
              {"nodes", r.edges},
              {"nodes_per_sec", r.edges_per_sec},
              {"epoch_seconds", r.seconds},
              {"time_split", r.times.json()},
              {"pipeline", r.pipeline.json()}};
    task_->add_epoch_figures(record);
    if (cluster_ != nullptr) {
      const CommStats c = cluster_->take_stats();
      record["distributed"] = {{"world_size", cluster_->world_size()}, {"rank", cluster_->rank()},
                               {"staleness", exchange_->staleness()}, {"collectives", c.collectives},
                               {"bytes_sent", c.bytes_sent}, {"bytes_received", c.bytes_received},
                               {"collective_seconds", c.seconds}};
    }
    if (r.out_of_core) {
      record["states"] = r.states_trained;
      record["plan_states"] = r.states;
      record["feature_io"] = io_json(r.feature_io);
    }
    std::string line = fmt::format("epoch {}/{}: loss {:.4f}, {:.0f} nodes/s, {:.2f} s", epoch, last,
                                   epoch_report.mean_loss, r.edges_per_sec, r.seconds);
    if (r.out_of_core) {
      line += fmt::format(" ({} states, {:.1f} MB of features read, {:.2f} s waiting on IO)", r.states_trained,
                          static_cast<double>(r.feature_io.bytes_read) / 1e6, r.feature_io.wait_seconds);
    }
    if (validating && config_.eval_every_epoch) {
      report.valid = evaluate(Split::kValid);
      record["valid"] = report.valid->json();
      line += fmt::format("; valid accuracy {:.4f}, macro-F1 {:.4f}", report.valid->accuracy, report.valid->macro_f1);
    }
    if (config_.checkpoint_every_epoch || epochs_done_ == last) {
      timed_save();
      epoch_report.saved = true;
    }
    record["peak_rss_mb"] = peak_rss_mb();
    metrics.write(record);
    if (out != nullptr) {
      fmt::print(out, "{}\n", line);
      std::fflush(out);
    }
    report.train_seconds += r.seconds;
    if (epoch > 1 || last == 1) rate_sum += r.edges_per_sec, ++measured;
    ++report.epochs_trained;
    report.last = r;
    report.last_mean_loss = epoch_report.mean_loss;
    watch.epoch_finished(epoch_report);
    if (watch.stop_after_epoch()) {
      report.stopped = true;
      break;
    }
  }
  if (saved_epochs_ != epochs_done_) timed_save();  // the state the run ends in is the checkpoint
  report.epochs_done = epochs_done_;
  report.nodes_per_sec = measured > 0 ? rate_sum / static_cast<double>(measured) : 0;
  nlohmann::ordered_json summary = {{"summary", true},
                                    {"epochs", epochs_done_},
                                    {"train_seconds", report.train_seconds},
                                    {"nodes_per_sec", report.nodes_per_sec},
                                    {"threads", config_.threads},
                                    {"peak_rss_mb", peak_rss_mb()}};
  if (validating && !report.valid) report.valid = evaluate(Split::kValid);
  if (report.valid) summary["valid"] = report.valid->json();
  if (options.test_at_end && node_data_.nodes(Split::kTest).numel() > 0) {
    report.test = evaluate(Split::kTest);
    summary["test"] = report.test->json();
  }
  metrics.write(summary);
  return report;
}

at::Tensor NodeClassificationSession::input_rows_of(const at::Tensor& nodes) const {
  if (!out_of_core()) return input_.rows(nodes);
  at::Tensor rows = feature_file_->gather(nodes);
  if (config_.normalize_features) l1_normalize_rows(rows);
  return rows;
}

at::Tensor NodeClassificationSession::logits_of(const at::Tensor& nodes) {
  at::NoGradGuard no_grad;
  if (config_.inference == InferenceMode::kFull) {
    return out_of_core() ? full_output_file().gather(nodes) : representations().index_select(0, nodes);
  }
  scheduler_.reset();  // it points at the pages
  pages_.reset();      // out of core evaluation holds no feature pages
  const std::vector<Fanout> fanouts = layer_fanouts(config_.fanouts, "model.fanouts", encoder_->num_layers());
  std::vector<at::Tensor> parts;
  for (int64_t begin = 0; begin < nodes.size(0); begin += config_.eval_batch_size) {
    at::Tensor batch = nodes.slice(0, begin, std::min(begin + config_.eval_batch_size, nodes.size(0)));
    DenseSample s = sample_dense(adjacency(), batch, fanouts, mix(static_cast<uint64_t>(config_.seed) + 17 + begin));
    at::Tensor out = encoder_->forward(s, input_rows_of(s.nodes), /*training=*/false, 0);
    parts.push_back(out.index_select(0, s.root_rows));
  }
  return at::cat(parts);
}

const FeatureFile& NodeClassificationSession::full_output_file() {
  if (!full_output_file_) {
    scheduler_.reset();  // it points at the pages
    pages_.reset();      // out of core evaluation holds no feature pages
    const InputRows input_rows = [this](const at::Tensor& ids) { return input_rows_of(ids); };
    inference_dir_ = make_scratch_directory(config_.output);
    try {
      full_output_file_ = infer_streaming(*encoder_, adjacency(), input_rows, inference_dir_);
    } catch (...) {
      forget_representations();
      throw;
    }
  }
  return *full_output_file_;
}

ClassificationMetrics NodeClassificationSession::evaluate(Split split) {
  if (!encoder_) fail(MARIUS_ERR_INVALID_ARGUMENT, "evaluate: the session has no model");
  const at::Tensor& nodes = node_data_.nodes(split);
  if (nodes.numel() == 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "evaluate: dataset {} has no {} nodes", config_.dataset, split_name(split));
  const auto start = Clock::now();
  at::Tensor truth = node_data_.labels().index_select(0, nodes);
  at::Tensor predicted = logits_of(nodes).argmax(1);
  ClassificationMetrics m;
  m.nodes = nodes.numel();
  m.accuracy = predicted.eq(truth).to(at::kDouble).mean().item<double>();
  const int64_t c = node_data_.num_classes();
  at::Tensor tp = at::zeros({c}, at::kDouble), fp = at::zeros({c}, at::kDouble), fn = at::zeros({c}, at::kDouble);
  at::Tensor hit = predicted.eq(truth).to(at::kDouble);
  tp.index_add_(0, truth, hit);
  fn.index_add_(0, truth, 1 - hit);
  fp.index_add_(0, predicted, 1 - hit);
  at::Tensor present = (tp + fn + fp) > 0;
  at::Tensor f1 = 2 * tp / (2 * tp + fp + fn).clamp_min(1e-12);
  m.macro_f1 = f1.masked_select(present).mean().item<double>();
  m.inference = choice_name(config_.inference);
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return m;
}

at::Tensor NodeClassificationSession::probabilities(const at::Tensor& nodes) {
  if (!encoder_) fail(MARIUS_ERR_INVALID_ARGUMENT, "the session has no model (call initialize)");
  return logits_of(nodes).softmax(1);
}

const at::Tensor& NodeClassificationSession::representations() {
  if (!encoder_) fail(MARIUS_ERR_INVALID_ARGUMENT, "the session has no model (call initialize)");
  if (!full_outputs_.defined()) {
    at::NoGradGuard no_grad;
    const int64_t n = dataset_.info().num_nodes;
    if (out_of_core()) {
      const FeatureFile& file = full_output_file();
      full_outputs_ = at::empty({n, file.dim()}, at::kFloat);
      file.read_range(0, n, full_outputs_.data_ptr<float>());
    } else {
      full_outputs_ = encoder_->infer(adjacency_, input_.rows(at::arange(n, at::kLong)));
    }
  }
  return full_outputs_;
}

}  // namespace marius
