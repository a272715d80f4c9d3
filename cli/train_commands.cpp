#include "cli/train_commands.h"

#include "cli/dist_commands.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <algorithm>
#include <memory>

#include <ATen/ATen.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "core/data/dataset_fingerprint.h"
#include "core/dist/cluster.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/persist/export.h"
#include "core/tasks/link_prediction/predict.h"
#include "core/run/interrupt.h"
#include "core/run/session.h"
#include "core/tasks/node_classification/node_classification_session.h"
#include "marius/abi.h"

namespace fs = std::filesystem;

namespace marius::cli {

namespace {

Session open_session(const GlobalOptions& global, const std::string& config_file) {
  return Session(Config::load(config_file, global.overrides), global.plugin_paths);
}

std::string metrics_line(const std::string& prefix, const RankMetrics& m) {
  if (m.protocol == "classification") {
    return fmt::format("{} accuracy {:.4f}  F1 {:.4f}  (classification: {} true and {} false triples, a threshold per "
                       "relation chosen on valid, {:.2f} s)",
                       prefix, m.accuracy, m.f1, m.rankings - m.negatives, m.negatives, m.seconds);
  }
  std::string line = prefix;
  if (m.ranked) {
    line += fmt::format(" MRR {:.4f}  MR {:.1f}  Hits@1 {:.4f}  Hits@3 {:.4f}  Hits@10 {:.4f}", m.mrr, m.mr, m.hits1,
                        m.hits3, m.hits10);
  }
  for (const auto& [k, v] : m.hits_at) {
    if (!m.ranked || (k != 1 && k != 3 && k != 10)) line += fmt::format("{}Hits@{} {:.4f}", m.ranked ? "  " : " ", k, v);
  }
  std::string how;
  if (m.protocol == "sampled") {
    how = fmt::format(": {} uniform + {} degree-weighted negatives", m.negatives, m.negatives);
  } else if (m.protocol == "given" && m.layout == "shared") {
    how = fmt::format(": {} positives, each against all {} shared negative edges", m.rankings, m.negatives);
  } else if (m.protocol == "given") {
    how = fmt::format(": {} {} per edge", m.negatives, m.layout == "both" ? "heads and tails" : m.layout);
  }
  const bool shared = m.protocol == "given" && m.layout == "shared";  // `how` counts the positives
  line += fmt::format("  ({}{}, {}{:.2f} s)", m.protocol, how, shared ? "" : fmt::format("{} rankings, ", m.rankings),
                      m.seconds);
  return line;
}

// Prints each epoch's summary lines on the terminal.
class TerminalReport : public TrainObserver {
 public:
  explicit TerminalReport(const Session& session) : session_(session) {}

  void epoch_finished(const EpochReport& e) override {
    const EpochResult& r = e.result;
    std::string line = fmt::format("epoch {}/{}: loss {:.4f}, {:.0f} edges/s, {:.2f} s\n  {}", e.epoch, e.last,
                                   e.mean_loss, r.edges_per_sec, r.seconds, r.pipeline.summary());
    if (e.valid) line += "\n  " + metrics_line("valid", *e.valid);
    if (r.out_of_core) {
      line += fmt::format(" (io: {} swaps, {:.1f} MB read, {:.1f} MB written, waited {:.2f} s)", r.io.swaps,
                          r.io.bytes_read / 1e6, r.io.bytes_written / 1e6, r.io.wait_seconds);
    }
    if (r.device_tier) {
      const BufferStats& d = r.device_io;
      line += fmt::format("\n  device tier on {}: {} states, {:.1f} MB in, {:.1f} MB out, waited {:.2f} s",
                          session_.device(), r.device_states, d.bytes_read / 1e6, d.bytes_written / 1e6,
                          d.wait_seconds);
    }
    fmt::print("{}\n", line);
    std::fflush(stdout);
  }

 private:
  const Session& session_;
};

// Joins the workers of a distributed training run, comparing the build, the
// effective configuration (`agreed`) and the dataset (its fingerprint, not its
// path, which may differ between machines).
std::unique_ptr<Cluster> join_for_training(const WorldSpec& world, const std::string& agreed, const Dataset& dataset,
                                           double timeout_seconds) {
  DatasetFingerprint f = fingerprint_of(dataset);
  f.dataset = "the dataset";
  return Cluster::join(world,
                       {{"marius build", fmt::format("marius {} (plugin ABI {}.{})", MARIUS_VERSION_STRING,
                                                     MARIUS_ABI_MAJOR, MARIUS_ABI_MINOR)},
                        {"configuration", agreed},
                        {"dataset", f.describe()}},
                       std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000)));
}

bool node_classification(const GlobalOptions& global, const std::string& config_file) {
  return Config::load(config_file, global.overrides).task == TaskKind::kNodeClassification;
}

std::string accuracy_line(const std::string& prefix, const ClassificationMetrics& m) {
  return fmt::format("{} accuracy {:.4f}  macro-F1 {:.4f}  ({} nodes, {} inference, {:.2f} s)", prefix, m.accuracy,
                     m.macro_f1, m.nodes, m.inference, m.seconds);
}

std::unique_ptr<NodeClassificationSession> open_nc(const GlobalOptions& global, const std::string& config_file,
                                                   bool resume) {
  auto session = std::make_unique<NodeClassificationSession>(Config::load(config_file, global.overrides), global.plugin_paths);
  session->initialize(resume);
  return session;
}

int train_node_classification(const GlobalOptions& global, const std::string& config_file, bool resume, bool overwrite) {
  // Distributed (docs/distributed.md): the workers join comparing the build, the configuration and the dataset;
  // rank 0 writes output.dir, rank K > 0 output.dir/rank-K (its own checkpoint, alike, and metrics).
  const WorldSpec world = resolve_world(global.world);
  Config loaded = Config::load(config_file, global.overrides);
  const std::string agreed = loaded.to_toml();
  if (world.rank > 0) loaded.output = (fs::path(loaded.output) / fmt::format("rank-{}", world.rank)).string();
  std::unique_ptr<Cluster> cluster;  // declared first: it outlives the session that refers to it
  NodeClassificationSession session(loaded, global.plugin_paths);
  if (world.distributed()) cluster = join_for_training(world, agreed, session.dataset(), loaded.dist_timeout);
  session.initialize(resume, overwrite);
  if (cluster) session.distribute(*cluster);
  const Config& config = session.config();
  logger().info("training node classification with {} x {} on {} ({} nodes, {} classes, {} training nodes), epochs {}..{}",
                config.layers, config.encoder, config.dataset, session.dataset().info().num_nodes,
                session.node_data().num_classes(), session.node_data().nodes(Split::kTrain).numel(),
                session.epochs_done() + 1, config.epochs);
  InterruptHandler interrupt;
  TrainOptions options;
  options.progress = stderr;
  options.test_at_end = true;
  NodeClassificationReport report = session.train(options, stdout);
  if (report.valid) fmt::print("{}\n", accuracy_line("valid", *report.valid));
  if (report.test) fmt::print("{}\n", accuracy_line("test", *report.test));
  fmt::print("checkpoint: {}\nmetrics: {}\n", session.checkpoint_path().string(),
             (fs::path(config.output) / "metrics.jsonl").string());
  return 0;
}

int train(const GlobalOptions& global, const std::string& config_file, bool resume, bool overwrite) {
  if (node_classification(global, config_file)) return train_node_classification(global, config_file, resume, overwrite);
  // Distributed (docs/distributed.md): every worker trains the buckets the lock service grants over the shared
  // partition files; rank 0 writes output.dir's checkpoint and evaluates, rank K > 0 its metrics in output.dir/rank-K.
  const WorldSpec world = resolve_world(global.world);
  std::unique_ptr<Cluster> cluster;  // declared first: it outlives the session that refers to it
  Session session = open_session(global, config_file);
  const Config& config = session.config();
  if (world.distributed()) {
    session.require_distributable(world);  // before waiting for the others
    cluster = join_for_training(world, Config::load(config_file, global.overrides).to_toml(), session.dataset(),
                                config.dist_timeout);
    session.distribute(*cluster);
  }
  session.initialize(resume, overwrite);
  const DatasetInfo& info = session.dataset().info();
  logger().info("training {} on {} ({} nodes, {} relations, {} training edges), dim {}, {} thread(s), epochs {}..{}",
                config.score, config.dataset, info.num_nodes, info.num_relations, info.num_edges[0], config.dim,
                config.threads, session.epochs_done() + 1, config.epochs);
  // Ctrl-C or SIGTERM: the batches in flight finish, then Error(CANCELLED) (exit status 130).
  InterruptHandler interrupt;
  TerminalReport terminal(session);
  TrainOptions options;
  options.progress = stderr;
  options.test_at_end = true;
  TrainReport report = session.train(options, &terminal);
  if (report.test) fmt::print("{}\n", metrics_line("test", *report.test));
  fmt::print("checkpoint: {}\nmetrics: {}\n", session.checkpoint_path().string(),
             (session.metrics_dir() / "metrics.jsonl").string());
  return 0;
}

int eval(const GlobalOptions& global, const std::string& config_file, const std::string& split_name) {
  if (node_classification(global, config_file)) {
    auto owned = open_nc(global, config_file, /*resume=*/true);
    NodeClassificationSession& session = *owned;
    Split split = split_name == "train" ? Split::kTrain : split_name == "valid" ? Split::kValid : Split::kTest;
    ClassificationMetrics m = session.evaluate(split);
    fmt::print(stderr, "{}\n", accuracy_line(split_name, m));
    fmt::print("{}\n", m.json().dump());
    return 0;
  }
  Session session = open_session(global, config_file);
  session.initialize(/*resume=*/true);
  Split split = split_name == "train" ? Split::kTrain : split_name == "valid" ? Split::kValid : Split::kTest;
  RankMetrics m = session.evaluate(split, stderr);
  fmt::print(stderr, "{}\n", metrics_line(split_name, m));
  fmt::print("{}\n", m.json().dump());
  return 0;
}

int export_command(const GlobalOptions& global, const std::string& config_file, const std::string& dir) {
  if (node_classification(global, config_file)) {
    auto owned = open_nc(global, config_file, /*resume=*/true);
    NodeClassificationSession& session = *owned;
    fs::path out = dir.empty() ? fs::path(session.config().output) / "export" : fs::path(dir);
    for (const auto& file : export_node_rows(session.representations(), session.dataset(), out, "representations")) {
      fmt::print("{}\n", file.string());
    }
    return 0;
  }
  Session session = open_session(global, config_file);
  session.initialize(/*resume=*/true);
  fs::path out = dir.empty() ? fs::path(session.config().output) / "export" : fs::path(dir);
  for (const auto& file : export_model(session.model(), session.node_rows(), session.dataset(), out)) fmt::print("{}\n", file.string());
  if (session.has_encoder()) {  // the encoder's output of every node: what the score function sees
    for (const auto& file : export_node_rows(session.representations(), session.dataset(), out, "representations")) {
      fmt::print("{}\n", file.string());
    }
  }
  return 0;
}

int predict_command(const GlobalOptions& global, const std::string& config_file, const std::string& head,
                    const std::string& tail, const std::string& relation, int64_t k, const std::string& node) {
  if (node_classification(global, config_file)) {
    if (node.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "predict: node classification takes --node ID");
    auto owned = open_nc(global, config_file, /*resume=*/true);
    NodeClassificationSession& session = *owned;
    const std::vector<std::string> names = session.dataset().node_names();
    auto it = std::find(names.begin(), names.end(), node);
    if (it == names.end()) fail(MARIUS_ERR_NOT_FOUND, "predict: node '{}' is not in dataset {}", node, session.config().dataset);
    at::Tensor p = session.probabilities(at::tensor({static_cast<int64_t>(it - names.begin())}, at::kLong))[0];
    auto [values, classes] = p.topk(std::min<int64_t>(k, p.size(0)));
    fmt::print("rank\tclass\tprobability\n");
    for (int64_t i = 0; i < values.size(0); ++i) {
      fmt::print("{}\t{}\t{:.6f}\n", i + 1, classes[i].item<int64_t>(), values[i].item<double>());
    }
    return 0;
  }
  if (head.empty() == tail.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "predict: give exactly one of --head and --tail");
  Session session = open_session(global, config_file);
  session.initialize(/*resume=*/true);
  bool heads = !tail.empty();
  const Session::ScoredTables scored = session.scored_tables();  // with an encoder: its output of every node
  auto results = predict(*scored.model, *scored.rows, session.dataset(), session.score(), heads ? tail : head, relation, k, heads);
  fmt::print("rank\t{}\tscore\n", heads ? "head" : "tail");
  for (size_t i = 0; i < results.size(); ++i) fmt::print("{}\t{}\t{:.6f}\n", i + 1, results[i].id, results[i].score);
  return 0;
}

}  // namespace

void add_train_commands(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  struct Args {
    std::string config, split = "test", dir, head, tail, relation, node, metric = "cosine";
    bool resume = false, overwrite = false, markdown = false;
    int64_t k = 10;
  };
  auto args = std::make_shared<Args>();

  auto* train_cmd = app.add_subcommand("train", "Train a model: link prediction, or node classification with a GNN (config: docs/config.md)");
  train_cmd->add_option("config", args->config, "TOML configuration file")->check(CLI::ExistingFile);
  train_cmd->add_flag("--resume", args->resume, "Continue from the last checkpoint in output.dir");
  train_cmd->add_flag("--overwrite", args->overwrite, "Start afresh over a checkpoint already in output.dir");
  train_cmd->callback([&global, &exit_code, args] {
    if (args->resume && args->overwrite) fail(MARIUS_ERR_INVALID_ARGUMENT, "train: give --resume or --overwrite, not both");
    exit_code = train(global, args->config, args->resume, args->overwrite);
  });

  auto* eval_cmd = app.add_subcommand("eval", "Evaluate the saved model (output.dir/checkpoint.bin)");
  eval_cmd->add_option("config", args->config, "TOML configuration file")->check(CLI::ExistingFile);
  eval_cmd->add_option("--split", args->split, "train, valid or test")->check(CLI::IsMember({"train", "valid", "test"}));
  eval_cmd->callback([&global, &exit_code, args] { exit_code = eval(global, args->config, args->split); });

  auto* export_cmd = app.add_subcommand("export", "Write embeddings keyed by original ids (TSV and .npy)");
  export_cmd->add_option("config", args->config, "TOML configuration file")->check(CLI::ExistingFile);
  export_cmd->add_option("--output", args->dir, "Directory (default: output.dir/export)");
  export_cmd->callback([&global, &exit_code, args] { exit_code = export_command(global, args->config, args->dir); });

  auto* predict_cmd = app.add_subcommand("predict", "Top-k tails of (head, relation) or heads of (relation, tail)");
  predict_cmd->add_option("config", args->config, "TOML configuration file")->check(CLI::ExistingFile);
  predict_cmd->add_option("--head", args->head, "Original id of the head: predict tails");
  predict_cmd->add_option("--tail", args->tail, "Original id of the tail: predict heads");
  predict_cmd->add_option("--relation", args->relation, "Original id of the relation (omit for plain graphs)");
  predict_cmd->add_option("--node", args->node, "Original id of a node: its top classes (node classification)");
  predict_cmd->add_option("-k,--top", args->k, "How many")->check(CLI::PositiveNumber);
  predict_cmd->callback([&global, &exit_code, args] {
    exit_code = predict_command(global, args->config, args->head, args->tail, args->relation, args->k, args->node);
  });

  auto* config_cmd = app.add_subcommand("config", "Print the effective configuration, or the key reference");
  config_cmd->add_option("config", args->config, "TOML configuration file")->check(CLI::ExistingFile);
  config_cmd->add_flag("--markdown", args->markdown, "Print docs/config.md's key tables");
  config_cmd->callback([&global, &exit_code, args] {
    fmt::print("{}", args->markdown ? config_markdown() : Config::load(args->config, global.overrides).to_toml());
    exit_code = 0;
  });
}

}  // namespace marius::cli
