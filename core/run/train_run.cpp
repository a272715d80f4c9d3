// Session::train: the one owner of a training run (see train_run.h).
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "core/error.h"
#include "core/run/metrics_file.h"
#include "core/run/session.h"
#include "core/run/interrupt.h"
#include "core/dist/distributed_link_prediction.h"

namespace fs = std::filesystem;

namespace marius {


TrainReport Session::train(const TrainOptions& options, TrainObserver* observer) {
  if (!model_) fail(MARIUS_ERR_INVALID_ARGUMENT, "train: the session has no model (call initialize)");
  if (options.epochs < -1) fail(MARIUS_ERR_INVALID_ARGUMENT, "train: epochs must be 0 or more, got {}", options.epochs);
  TrainObserver silent;
  TrainObserver& watch = observer != nullptr ? *observer : silent;
  const int64_t last = options.epochs < 0 ? std::max(config_.epochs, epochs_done_) : epochs_done_ + options.epochs;
  std::error_code ec;
  fs::create_directories(metrics_dir(), ec);
  if (ec) fail(MARIUS_ERR_IO, "output.dir {}: cannot create: {}", metrics_dir().string(), ec.message());
  MetricsFile metrics(metrics_dir() / "metrics.jsonl", /*append=*/epochs_done_ > 0);
  const DatasetInfo& info = dataset_.info();
  const bool evaluating = config_.eval_protocol != EvalProtocol::kNone && evaluates();
  if (evaluating && (config_.eval_protocol == EvalProtocol::kGiven ||
                     config_.eval_protocol == EvalProtocol::kClassification)) {
    // The dataset's negatives: missing ones are an error now, not after the first epoch.
    if ((config_.eval_every_epoch && info.num_edges[1] > 0) || config_.eval_protocol == EvalProtocol::kClassification) {
      given_negatives(Split::kValid);
    }
    if (options.test_at_end && info.num_edges[2] > 0) given_negatives(Split::kTest);
  }

  TrainReport report;
  double edges_per_sec_sum = 0;
  int64_t measured = 0;
  auto timed_save = [&] {
    const auto start = std::chrono::steady_clock::now();
    save();
    report.checkpoint_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  while (epochs_done_ < last) {
    const int64_t epoch = epochs_done_ + 1;
    watch.epoch_started(epoch, last, info.num_edges[0]);
    Progress progress(fmt::format("epoch {}/{}", epoch, last), info.num_edges[0], options.progress);
    progress.set_observer([&watch](int64_t done, int64_t total, double loss) { watch.batches_done(done, total, loss); });
    EpochReport epoch_report;
    EpochResult& r = epoch_report.result;
    try {
      if (interrupt_requested()) fail(MARIUS_ERR_CANCELLED, "training interrupted before the epoch started");
      r = train_epoch(&progress);
    } catch (const Error& e) {
      progress.finish();
      const std::string kept =
          saved_epochs_ >= 0 ? fmt::format("{} keeps the checkpoint of epoch {}", checkpoint_path().string(), saved_epochs_)
                             : std::string("no checkpoint was written");
      if (e.code() == MARIUS_ERR_CANCELLED) {
        fail(MARIUS_ERR_CANCELLED, "epoch {}: {}; {} (continue with --resume)", epoch, e.what(), kept);
      }
      if (e.code() == MARIUS_ERR_NON_FINITE) fail(MARIUS_ERR_NON_FINITE, "{}; {}", e.what(), kept);
      throw;
    }
    progress.finish();
    epoch_report.epoch = epoch;
    epoch_report.last = last;
    epoch_report.mean_loss = r.mean_loss(config_.reduction);
    nlohmann::ordered_json& record = epoch_report.record;
    record = {{"epoch", epoch},
              {"loss", epoch_report.mean_loss},
              {"edges", r.edges},
              {"edges_per_sec", r.edges_per_sec},
              {"epoch_seconds", r.seconds},
              {"time_split", r.times.json()},
              {"pipeline", r.pipeline.json()}};
    task_->add_epoch_figures(record);
    if (distributed_) record["distributed"] = distributed_->take_figures();
    if (evaluating && config_.eval_every_epoch && info.num_edges[1] > 0) {
      epoch_report.valid = evaluate(Split::kValid, options.progress);
      record["valid"] = epoch_report.valid->json();
    }
    if (r.out_of_core) {  // train_epoch already committed the partitions and saved
      record["io"] = io_json(r.io);
      record["io"]["buffer_bytes"] = buffer_bytes();
      record["io"]["states"] = r.states;
      epoch_report.saved = true;
    } else if (config_.checkpoint_every_epoch || epochs_done_ == last) {
      timed_save();
      epoch_report.saved = true;
    }
    if (r.feature_io.partitions_read > 0) record["feature_io"] = io_json(r.feature_io);  // features paged beside the buffer
    if (r.device_tier) {  // host <-> device traffic of the device tier
      record["device_io"] = io_json(r.device_io);
      record["device_io"]["device"] = config_.device;
      record["device_io"]["capacity"] = device_capacity_;
      record["device_io"]["states"] = r.device_states;
    }
    record["peak_rss_mb"] = peak_rss_mb();
    metrics.write(record);
    report.train_seconds += r.seconds;
    if (epoch > 1 || last == 1) {  // the first epoch warms up, unless it is the only one
      edges_per_sec_sum += r.edges_per_sec;
      ++measured;
    }
    ++report.epochs_trained;
    report.last = r;
    report.last_mean_loss = epoch_report.mean_loss;
    watch.epoch_finished(epoch_report);
    if (watch.stop_after_epoch()) {
      report.stopped = true;
      break;
    }
  }
  // The state the run ends in is the checkpoint: also when it stopped early
  // without a checkpoint every epoch, and for a run of no epochs.
  if (saved_epochs_ != epochs_done_) timed_save();
  report.epochs_done = epochs_done_;
  report.edges_per_sec = measured > 0 ? edges_per_sec_sum / static_cast<double>(measured) : 0.0;
  report.summary = {{"summary", true},
                    {"epochs", epochs_done_},
                    {"train_seconds", report.train_seconds},
                    {"edges_per_sec", report.edges_per_sec},
                    {"threads", config_.threads},
                    {"peak_rss_mb", peak_rss_mb()}};
  if (options.test_at_end && evaluating && info.num_edges[2] > 0) {
    report.test = evaluate(Split::kTest, options.progress);
    report.summary["test"] = report.test->json();
  }
  metrics.write(report.summary);
  return report;
}

}  // namespace marius
