#include "cli/train_commands.h"

#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "core/config/config.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/train/export.h"
#include "core/train/interrupt.h"
#include "core/train/session.h"

namespace fs = std::filesystem;

namespace marius::cli {

namespace {

// Appends one JSON object per line to <output>/metrics.jsonl, flushed per line.
class MetricsFile {
 public:
  MetricsFile(const fs::path& file, bool append) : file_(file) {
    out_ = std::fopen(file.c_str(), append ? "a" : "w");
    if (out_ == nullptr) fail(MARIUS_ERR_IO, "metrics {}: cannot open: {}", file.string(), std::strerror(errno));
  }
  ~MetricsFile() { std::fclose(out_); }
  void write(const std::string& json) {
    if (std::fprintf(out_, "%s\n", json.c_str()) < 0 || std::fflush(out_) != 0) {
      fail(MARIUS_ERR_IO, "metrics {}: write failed: {}", file_.string(), std::strerror(errno));
    }
  }

 private:
  fs::path file_;
  std::FILE* out_;
};

Session open_session(const GlobalOptions& global, const std::string& config_file) {
  return Session(Config::load(config_file, global.overrides), global.plugin_paths);
}

std::string metrics_line(const std::string& prefix, const RankMetrics& m) {
  return fmt::format("{} MRR {:.4f}  MR {:.1f}  Hits@1 {:.4f}  Hits@3 {:.4f}  Hits@10 {:.4f}  ({}{}, {} rankings, {:.2f} s)",
                     prefix, m.mrr, m.mr, m.hits1, m.hits3, m.hits10, m.protocol,
                     m.protocol == "sampled" ? fmt::format(": {} uniform + {} degree-weighted negatives", m.negatives, m.negatives) : "",
                     m.rankings, m.seconds);
}

int train(const GlobalOptions& global, const std::string& config_file, bool resume) {
  Session session = open_session(global, config_file);
  const Config& config = session.config();
  session.initialize(resume);
  std::error_code ec;
  fs::create_directories(config.output, ec);
  if (ec) fail(MARIUS_ERR_IO, "output.dir {}: cannot create: {}", config.output, ec.message());
  MetricsFile metrics(fs::path(config.output) / "metrics.jsonl", resume);
  const DatasetInfo& info = session.dataset().info();
  logger().info("training {} on {} ({} nodes, {} relations, {} training edges), dim {}, {} thread(s), epochs {}..{}",
                config.score, config.dataset, info.num_nodes, info.num_relations, info.num_edges[0], config.dim,
                config.threads, session.epochs_done() + 1, config.epochs);
  bool evaluate = config.eval_protocol != "none";
  double edges_per_sec_sum = 0;
  int64_t measured_epochs = 0;
  double seconds_sum = 0;
  // Ctrl-C or SIGTERM: the batches in flight finish, then Error(CANCELLED) (exit status 130).
  InterruptHandler interrupt;
  while (session.epochs_done() < config.epochs) {
    const int64_t epoch = session.epochs_done() + 1;
    Progress progress(fmt::format("epoch {}/{}", epoch, config.epochs), info.num_edges[0]);
    EpochResult r;
    try {
      if (interrupt_requested()) fail(MARIUS_ERR_CANCELLED, "training interrupted before the epoch started");
      r = session.train_epoch(&progress);
    } catch (const Error& e) {
      if (e.code() != MARIUS_ERR_CANCELLED) throw;
      progress.finish();
      fail(MARIUS_ERR_CANCELLED, "epoch {}: {}; {} keeps the checkpoint of epoch {} (continue with --resume)", epoch,
           e.what(), config.output, epoch - 1);
    }
    progress.finish();
    const StepTimes& t = session.last_step_times();
    std::string json = fmt::format(
        "{{\"epoch\":{},\"loss\":{:.6f},\"edges\":{},\"edges_per_sec\":{:.1f},\"epoch_seconds\":{:.3f},"
        "\"time_split\":{{\"sample\":{:.3f},\"gather\":{:.3f},\"forward\":{:.3f},\"loss\":{:.3f},\"backward\":{:.3f},"
        "\"update\":{:.3f}}}",
        epoch, r.loss / std::max<int64_t>(1, r.edges), r.edges, r.edges_per_sec, r.seconds, t.sample, t.gather,
        t.forward, t.loss, t.backward, t.update);
    json += ",\"pipeline\":" + r.pipeline.json();
    std::string line = fmt::format("epoch {}/{}: loss {:.4f}, {:.0f} edges/s, {:.2f} s\n  {}", epoch, config.epochs,
                                   r.loss / std::max<int64_t>(1, r.edges), r.edges_per_sec, r.seconds,
                                   r.pipeline.summary());
    if (evaluate && config.eval_every_epoch && info.num_edges[1] > 0) {
      RankMetrics valid = session.evaluate(Split::kValid);
      json += ",\"valid\":" + valid.json();
      line += "\n  " + metrics_line("valid", valid);
    }
    if (r.out_of_core) {  // the session already committed the partitions and saved
      json += fmt::format(
          ",\"io\":{{\"buffer_bytes\":{},\"states\":{},\"swaps\":{},\"partitions_read\":{},\"partitions_written\":{},\"bytes_read\":{},"
          "\"bytes_written\":{},\"read_seconds\":{:.3f},\"write_seconds\":{:.3f},\"wait_seconds\":{:.3f}}}",
          session.buffer_bytes(), r.states, r.io.swaps, r.io.partitions_read, r.io.partitions_written, r.io.bytes_read, r.io.bytes_written,
          r.io.read_seconds, r.io.write_seconds, r.io.wait_seconds);
      line += fmt::format(" (io: {} swaps, {:.1f} MB read, {:.1f} MB written, waited {:.2f} s)", r.io.swaps,
                          r.io.bytes_read / 1e6, r.io.bytes_written / 1e6, r.io.wait_seconds);
    } else if (config.checkpoint_every_epoch || session.epochs_done() == config.epochs) {
      session.save();
    }
    if (r.device_tier) {  // host <-> device traffic of the device tier
      const BufferStats& d = r.device_io;
      json += fmt::format(
          ",\"device_io\":{{\"device\":\"{}\",\"capacity\":{},\"states\":{},\"swaps\":{},\"partitions_read\":{},"
          "\"partitions_written\":{},\"bytes_read\":{},\"bytes_written\":{},\"read_seconds\":{:.3f},"
          "\"write_seconds\":{:.3f},\"wait_seconds\":{:.3f}}}",
          session.device(), session.device_capacity(), r.device_states, d.swaps, d.partitions_read,
          d.partitions_written, d.bytes_read, d.bytes_written, d.read_seconds, d.write_seconds, d.wait_seconds);
      line += fmt::format("\n  device tier on {}: {} states, {:.1f} MB in, {:.1f} MB out, waited {:.2f} s",
                          session.device(), r.device_states, d.bytes_read / 1e6, d.bytes_written / 1e6,
                          d.wait_seconds);
    }
    json += fmt::format(",\"peak_rss_mb\":{:.1f}}}", peak_rss_mb());
    metrics.write(json);
    fmt::print("{}\n", line);
    std::fflush(stdout);
    seconds_sum += r.seconds;
    if (epoch > 1 || config.epochs == 1) {
      edges_per_sec_sum += r.edges_per_sec;
      ++measured_epochs;
    }
  }
  if (session.epochs_done() == 0) session.save();
  std::string summary = fmt::format("{{\"summary\":true,\"epochs\":{},\"train_seconds\":{:.3f},\"edges_per_sec\":{:.1f},"
                                    "\"threads\":{},\"peak_rss_mb\":{:.1f}",
                                    session.epochs_done(), seconds_sum,
                                    measured_epochs > 0 ? edges_per_sec_sum / measured_epochs : 0.0, config.threads,
                                    peak_rss_mb());
  if (evaluate && info.num_edges[2] > 0) {
    RankMetrics test = session.evaluate(Split::kTest);
    summary += ",\"test\":" + test.json();
    fmt::print("{}\n", metrics_line("test", test));
  }
  summary += "}";
  metrics.write(summary);
  fmt::print("checkpoint: {}\nmetrics: {}\n", session.checkpoint_path().string(),
             (fs::path(config.output) / "metrics.jsonl").string());
  return 0;
}

int eval(const GlobalOptions& global, const std::string& config_file, const std::string& split_name) {
  Session session = open_session(global, config_file);
  session.initialize(/*resume=*/true);
  Split split = split_name == "train" ? Split::kTrain : split_name == "valid" ? Split::kValid : Split::kTest;
  RankMetrics m = session.evaluate(split);
  fmt::print(stderr, "{}\n", metrics_line(split_name, m));
  fmt::print("{}\n", m.json());
  return 0;
}

int export_command(const GlobalOptions& global, const std::string& config_file, const std::string& dir) {
  Session session = open_session(global, config_file);
  session.initialize(/*resume=*/true);
  fs::path out = dir.empty() ? fs::path(session.config().output) / "export" : fs::path(dir);
  for (const auto& file : export_model(session.model(), session.node_rows(), session.dataset(), out)) fmt::print("{}\n", file.string());
  return 0;
}

int predict_command(const GlobalOptions& global, const std::string& config_file, const std::string& head,
                    const std::string& tail, const std::string& relation, int64_t k) {
  if (head.empty() == tail.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "predict: give exactly one of --head and --tail");
  Session session = open_session(global, config_file);
  session.initialize(/*resume=*/true);
  bool heads = !tail.empty();
  auto results = predict(session.model(), session.node_rows(), session.dataset(), session.score(), heads ? tail : head, relation, k, heads);
  fmt::print("rank\t{}\tscore\n", heads ? "head" : "tail");
  for (size_t i = 0; i < results.size(); ++i) fmt::print("{}\t{}\t{:.6f}\n", i + 1, results[i].id, results[i].score);
  return 0;
}

}  // namespace

void add_train_commands(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  struct Args {
    std::string config, split = "test", dir, head, tail, relation;
    bool resume = false, markdown = false;
    int64_t k = 10;
  };
  auto args = std::make_shared<Args>();

  auto* train_cmd = app.add_subcommand("train", "Train a link-prediction model (config: docs/config.md)");
  train_cmd->add_option("config", args->config, "TOML configuration file")->check(CLI::ExistingFile);
  train_cmd->add_flag("--resume", args->resume, "Continue from the last checkpoint in output.dir");
  train_cmd->callback([&global, &exit_code, args] { exit_code = train(global, args->config, args->resume); });

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
  predict_cmd->add_option("-k,--top", args->k, "How many")->check(CLI::PositiveNumber);
  predict_cmd->callback([&global, &exit_code, args] {
    exit_code = predict_command(global, args->config, args->head, args->tail, args->relation, args->k);
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
