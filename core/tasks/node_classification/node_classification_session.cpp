#include "core/tasks/node_classification/node_classification_session.h"

#include <chrono>
#include <map>
#include <sstream>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.h"
#include "core/logging.h"
#include "core/persist/tensor_archive.h"
#include "core/run/allocator.h"
#include "core/run/metrics_file.h"
#include "core/run/progress.h"
#include "core/run/seed_mix.h"
#include "core/run/session.h"  // peak_rss_mb

namespace fs = std::filesystem;

namespace marius {

namespace {

using Clock = std::chrono::steady_clock;

Direction direction_of(NeighborDirection d) {
  return d == NeighborDirection::kIncoming ? Direction::kIncoming
         : d == NeighborDirection::kOutgoing ? Direction::kOutgoing
                                             : Direction::kBoth;
}

Dataset open_dataset(const Config& config) {
  if (config.dataset.empty()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "dataset.path is not set (give it in the config or with --set dataset.path=DIR)");
  }
  return Dataset::open(config.dataset);
}

nlohmann::ordered_json times_json(const StepTimes& t) {
  return {{"sample", t.sample}, {"gather", t.gather},     {"forward", t.forward},
          {"loss", t.loss},     {"backward", t.backward}, {"update", t.update}};
}

}  // namespace

nlohmann::ordered_json ClassificationMetrics::json() const {
  return {{"accuracy", accuracy}, {"macro_f1", macro_f1}, {"nodes", nodes}, {"inference", inference}, {"seconds", seconds}};
}

NodeClassificationSession::NodeClassificationSession(Config config, const std::vector<std::string>& plugin_paths)
    : config_(std::move(config)), dataset_(open_dataset(config_)) {
  keep_freed_memory_for_reuse();  // per-batch temporaries are large: reuse freed pages, don't fault in fresh ones
  const DatasetInfo& info = dataset_.info();
  node_data_ = NodeData::open(dataset_.dir(), info.num_nodes);
  const std::string dir = dataset_.dir().string();
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
  if ((config_.node_input == NodeInput::kFeatures || config_.node_input == NodeInput::kBoth) && !node_data_.has_features()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "model.node_input = \"{}\" but dataset {} has no features (preprocess --features)",
         choice_name(config_.node_input), dir);
  }
  registry_.add_builtin();
  for (const auto& p : plugin_paths) registry_.add_path(p);
  adjacency_ = Adjacency::build(dataset_.edges(Split::kTrain), info.num_nodes, info.num_relations, info.has_relations,
                                direction_of(config_.direction));
}

NodeClassificationSession::~NodeClassificationSession() = default;

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
  if (config_.node_input != NodeInput::kEmbeddings) {
    input_.features = node_data_.features();
    if (config_.normalize_features) {
      input_.features = input_.features / input_.features.abs().sum(1, /*keepdim=*/true).clamp_min(1e-12);
    }
  }
  if (config_.node_input == NodeInput::kEmbeddings || config_.node_input == NodeInput::kBoth) {
    input_.embeddings = Model::initial_embeddings(config_, n, 0);
    input_.embedding_state = at::zeros_like(input_.embeddings);
  }
  EncoderSpec spec;
  spec.layer = config_.encoder;
  spec.options = config_.encoder_options;
  spec.output_options = config_.output_layer_options;
  spec.num_layers = config_.layers;
  spec.in_dim = input_.width();
  spec.hidden_dim = config_.hidden_dim > 0 ? config_.hidden_dim : config_.dim;
  spec.out_dim = node_data_.num_classes();
  spec.num_relations = adjacency_.num_relations;
  encoder_ = std::make_unique<GnnEncoder>(registry_, spec, static_cast<uint64_t>(config_.seed));
  optimizer_ = std::make_unique<DenseOptimizer>(config_);
  epochs_done_ = 0;
  non_finite_.clear();
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
    std::vector<at::Tensor>& params = encoder_->parameters();
    optimizer_->first_moments().assign(params.size(), at::Tensor());
    optimizer_->second_moments().assign(params.size(), at::Tensor());
    for (size_t k = 0; k < params.size(); ++k) {
      const std::string& name = encoder_->parameter_names()[k];
      restore("param/" + name, params[k], true);
      restore("adam_m/" + name, optimizer_->first_moments()[k], false);
      restore("adam_v/" + name, optimizer_->second_moments()[k], false);
    }
    if (input_.embeddings.defined()) {
      restore("embeddings", input_.embeddings, true);
      restore("embedding_state", input_.embedding_state, true);
    }
    at::Tensor counters;
    restore("counters", counters, true);
    epochs_done_ = counters[0].item<int64_t>();
    optimizer_->set_steps(counters[1].item<int64_t>());
    logger().info("loaded {} (after epoch {})", checkpoint_path().string(), epochs_done_);
  }
  model_ = Model{};
  model_.num_nodes = n;
  model_.dim = config_.dim;
  task_ = std::make_unique<NodeClassificationTask>(config_, *encoder_, *optimizer_, adjacency_, input_, node_data_.labels());
  Tiers tiers{&dataset_, nullptr, nullptr, c10::kCPU, 0};
  scheduler_ = std::make_unique<EpochScheduler>(config_, model_, node_data_.nodes(Split::kTrain).view({-1, 1}),
                                                dataset_.degrees(), tiers);
}

void NodeClassificationSession::save() {
  if (!non_finite_.empty()) fail(MARIUS_ERR_NON_FINITE, "not saving over {}: {}", checkpoint_path().string(), non_finite_);
  std::error_code ec;
  fs::create_directories(config_.output, ec);
  if (ec) fail(MARIUS_ERR_IO, "output.dir {}: cannot create: {}", config_.output, ec.message());
  NamedTensors tensors;
  const std::vector<at::Tensor>& params = encoder_->parameters();
  for (size_t k = 0; k < params.size(); ++k) {
    const std::string& name = encoder_->parameter_names()[k];
    tensors.emplace_back("param/" + name, params[k]);
    if (k < optimizer_->first_moments().size() && optimizer_->first_moments()[k].defined()) {
      tensors.emplace_back("adam_m/" + name, optimizer_->first_moments()[k]);
      tensors.emplace_back("adam_v/" + name, optimizer_->second_moments()[k]);
    }
  }
  if (input_.embeddings.defined()) {
    tensors.emplace_back("embeddings", input_.embeddings);
    tensors.emplace_back("embedding_state", input_.embedding_state);
  }
  tensors.emplace_back("counters", at::tensor({epochs_done_, optimizer_->steps()}, at::kLong));
  save_tensor_archive(checkpoint_path(), config_.to_toml(), tensors);
}

NodeClassificationReport NodeClassificationSession::train(int64_t epochs, std::FILE* progress_out, std::FILE* out,
                                                          bool test_at_end) {
  if (!encoder_) fail(MARIUS_ERR_INVALID_ARGUMENT, "train: the session has no model (call initialize)");
  if (!non_finite_.empty()) fail(MARIUS_ERR_NON_FINITE, "train: {}", non_finite_);
  const int64_t last = epochs > 0 ? epochs_done_ + epochs : std::max(config_.epochs, epochs_done_);
  std::error_code ec;
  fs::create_directories(config_.output, ec);
  if (ec) fail(MARIUS_ERR_IO, "output.dir {}: cannot create: {}", config_.output, ec.message());
  MetricsFile metrics(fs::path(config_.output) / "metrics.jsonl", /*append=*/epochs_done_ > 0);
  const int64_t train_nodes = node_data_.nodes(Split::kTrain).numel();
  const bool validating = config_.eval_protocol != EvalProtocol::kNone && node_data_.nodes(Split::kValid).numel() > 0;
  NodeClassificationReport report;
  double rate_sum = 0;
  int64_t measured = 0;
  while (epochs_done_ < last) {
    const int64_t epoch = epochs_done_ + 1;
    Progress progress(fmt::format("epoch {}/{}", epoch, last), train_nodes, progress_out, "nodes");
    EpochResult r;
    try {
      r = scheduler_->train_epoch(*task_, epochs_done_, &progress);
    } catch (const Error& e) {
      progress.finish();
      if (e.code() == MARIUS_ERR_NON_FINITE) non_finite_ = e.what();
      throw;
    }
    progress.finish();
    ++epochs_done_;
    nlohmann::ordered_json record = {{"epoch", epoch},
                                     {"loss", r.mean_loss(Reduction::kSum)},
                                     {"nodes", r.edges},
                                     {"nodes_per_sec", r.edges_per_sec},
                                     {"epoch_seconds", r.seconds},
                                     {"time_split", times_json(r.times)},
                                     {"pipeline", r.pipeline.json()}};
    std::string line = fmt::format("epoch {}/{}: loss {:.4f}, {:.0f} nodes/s, {:.2f} s", epoch, last,
                                   r.mean_loss(Reduction::kSum), r.edges_per_sec, r.seconds);
    if (validating && config_.eval_every_epoch) {
      report.valid = evaluate(Split::kValid);
      record["valid"] = report.valid->json();
      line += fmt::format("; valid accuracy {:.4f}, macro-F1 {:.4f}", report.valid->accuracy, report.valid->macro_f1);
    }
    if (config_.checkpoint_every_epoch || epochs_done_ == last) save();
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
  }
  report.nodes_per_sec = measured > 0 ? rate_sum / static_cast<double>(measured) : 0;
  nlohmann::ordered_json summary = {{"summary", true},
                                    {"epochs", epochs_done_},
                                    {"train_seconds", report.train_seconds},
                                    {"nodes_per_sec", report.nodes_per_sec},
                                    {"threads", config_.threads},
                                    {"peak_rss_mb", peak_rss_mb()}};
  if (validating && !report.valid) report.valid = evaluate(Split::kValid);
  if (report.valid) summary["valid"] = report.valid->json();
  if (test_at_end && node_data_.nodes(Split::kTest).numel() > 0) {
    report.test = evaluate(Split::kTest);
    summary["test"] = report.test->json();
  }
  metrics.write(summary);
  return report;
}

at::Tensor NodeClassificationSession::logits_of(const at::Tensor& nodes) {
  at::NoGradGuard no_grad;
  if (config_.inference == InferenceMode::kFull) {
    at::Tensor all = encoder_->infer(adjacency_, input_.rows(at::arange(dataset_.info().num_nodes, at::kLong)));
    return all.index_select(0, nodes);
  }
  std::vector<Fanout> fanouts = parse_fanouts(config_.fanouts, "model.fanouts");
  if (fanouts.size() == 1) fanouts.assign(static_cast<size_t>(encoder_->num_layers()), fanouts[0]);
  std::vector<at::Tensor> parts;
  for (int64_t begin = 0; begin < nodes.size(0); begin += config_.eval_batch_size) {
    at::Tensor batch = nodes.slice(0, begin, std::min(begin + config_.eval_batch_size, nodes.size(0)));
    DenseSample s = sample_dense(adjacency_, batch, fanouts, mix(static_cast<uint64_t>(config_.seed) + 17 + begin));
    at::Tensor out = encoder_->forward(s, input_.rows(s.nodes), /*training=*/false, 0);
    parts.push_back(out.index_select(0, s.root_rows));
  }
  return at::cat(parts);
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

at::Tensor NodeClassificationSession::probabilities() {
  return logits_of(at::arange(dataset_.info().num_nodes, at::kLong)).softmax(1);
}

at::Tensor NodeClassificationSession::representations() {
  return encoder_->infer(adjacency_, input_.rows(at::arange(dataset_.info().num_nodes, at::kLong)));
}

}  // namespace marius
