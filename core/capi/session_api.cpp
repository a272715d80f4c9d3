// core/capi/session_api.cpp - opening, training, evaluating, exporting and
// closing sessions through the C embedding API (queries: query_api.cpp).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

#include <ATen/ATen.h>

#include "core/capi/guard.h"
#include "core/capi/handle.h"
#include "core/persist/export.h"
#include "core/data/node_data.h"
#include "core/tasks/link_prediction/predict.h"
#include "core/run/progress.h"

using namespace marius;
using namespace marius::capi;

std::unique_lock<std::mutex> marius_session::lock(const char* call) {
  if (callback_session() == this) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: called from the session's own progress callback (the session is training)",
         call);
  }
  std::unique_lock<std::mutex> held(mutex);
  if (closed) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the session is closed", call);
  return held;
}

void marius_session::release() noexcept {
  session.reset();
  classifier.reset();
  node_names.reset();
  relation_names.reset();
  std::string().swap(dataset_dir);
  std::string().swap(output_dir);
  std::string().swap(score);
  std::string().swap(task);
  closed = true;
}

Session& marius_session::link_prediction(const char* call, const char* instead) {
  if (!session) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a node classification session (model.task) {}", call, instead);
  return *session;
}

NodeClassificationSession& marius_session::node_classification(const char* call) {
  if (!classifier) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a link prediction session (model.task = \"link_prediction\") has no classes", call);
  }
  return *classifier;
}

int64_t marius_session::node_row(const char* id, const char* call) {
  const Names& nodes = names(MARIUS_TABLE_NODES, call);
  auto it = nodes.rows.find(id);
  if (it == nodes.rows.end()) fail(MARIUS_ERR_NOT_FOUND, "{}: unknown node id '{}'", call, id);
  return it->second;
}

const Dataset& marius_session::dataset() const { return session ? session->dataset() : classifier->dataset(); }

namespace {

std::vector<std::string> strings(const char* const* items, int64_t count, const char* call, const char* what) {
  if (count < 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: num_{} is negative ({})", call, what, count);
  if (count > 0) require(items, call, what);
  std::vector<std::string> out;
  for (int64_t i = 0; i < count; ++i) {
    if (items[i] == nullptr) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {}[{}] is NULL", call, what, i);
    out.emplace_back(items[i]);
  }
  return out;
}

// Relays a training run to the user's progress callback: throttled within an
// epoch, always after it. batches_done runs under the Progress lock, so calls
// never overlap.
class ProgressRelay : public TrainObserver {
 public:
  using Clock = std::chrono::steady_clock;

  ProgressRelay(marius_session& handle, const marius_train_args& args) : handle_(handle), args_(args) {}

  void epoch_started(int64_t epoch, int64_t last, int64_t edges) override {
    base_ = marius_progress{};
    base_.struct_size = sizeof(marius_progress);
    base_.epoch = epoch;
    base_.epoch_in_call = ++in_call_;
    base_.epochs_in_call = last - epoch + in_call_;
    start_ = last_ = Clock::now();
  }

  void batches_done(int64_t done, int64_t total, double loss_sum) override {
    if (stop_ || done >= total) return;  // the end of the epoch is reported by epoch_finished()
    const Clock::time_point now = Clock::now();
    if (args_.progress_interval > 0 && std::chrono::duration<double>(now - last_).count() < args_.progress_interval) {
      return;
    }
    last_ = now;
    call(done, total, loss_sum, 0);
  }

  void epoch_finished(const EpochReport& report) override {
    call(report.result.edges, report.result.edges, report.result.loss, 1);
  }

  bool stop_after_epoch() override { return stop_; }
  bool threw() const { return threw_; }

 private:
  void call(int64_t done, int64_t total, double loss_sum, uint32_t finished) {
    marius_progress p = base_;
    p.finished = finished;
    p.edges_done = done;
    p.edges_total = total;
    p.loss = done > 0 ? loss_sum / static_cast<double>(done) : 0.0;
    p.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    marius_session*& current = callback_session();
    current = &handle_;
    int32_t rc = 0;
    try {  // a C++ callback might throw; C ones cannot
      rc = args_.progress(&p, args_.user_data);
    } catch (...) {
      threw_ = true;
      rc = 1;
    }
    current = nullptr;
    if (rc != 0) stop_ = true;
  }

  marius_session& handle_;
  const marius_train_args& args_;
  marius_progress base_{};
  int64_t in_call_ = 0;
  Clock::time_point start_, last_;
  bool stop_ = false;
  bool threw_ = false;
};

Split split_of(int32_t split, const char* call) {
  switch (split) {
    case MARIUS_SPLIT_TRAIN: return Split::kTrain;
    case MARIUS_SPLIT_VALID: return Split::kValid;
    case MARIUS_SPLIT_TEST: return Split::kTest;
    default:
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: split {} is not MARIUS_SPLIT_TRAIN (0), _VALID (1) or _TEST (2)", call,
           split);
  }
}

}  // namespace

MARIUS_EXTERN_C marius_status marius_session_open(const marius_session_args* args, marius_session** out) {
  static const char* const call = "marius_session_open";
  return guard(call, nullptr, [&] {
    require(args, call, "args");
    require(out, call, "out");
    require_size(args->struct_size, MARIUS_SESSION_ARGS_SIZE_1_0, call, "marius_session_args");
    if (args->config_path != nullptr && args->config_text != nullptr) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: give config_path or config_text, not both", call);
    }
    const uint32_t known = MARIUS_SESSION_RESUME | MARIUS_SESSION_OVERWRITE;
    if ((args->flags & ~known) != 0) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: unknown flags {:#x}", call, args->flags & ~known);
    }
    if ((args->flags & MARIUS_SESSION_RESUME) != 0 && (args->flags & MARIUS_SESSION_OVERWRITE) != 0) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: give MARIUS_SESSION_RESUME or MARIUS_SESSION_OVERWRITE, not both", call);
    }
    std::vector<std::string> overrides = strings(args->overrides, args->num_overrides, call, "overrides");
    std::vector<std::string> plugins = strings(args->plugin_paths, args->num_plugin_paths, call, "plugin_paths");
    Config config = args->config_text != nullptr
                        ? Config::parse(args->config_text, "(config text)", overrides)
                        : Config::load(args->config_path != nullptr ? args->config_path : "", overrides);
    auto handle = std::make_unique<marius_session>();
    handle->dataset_dir = config.dataset;
    handle->output_dir = config.output;
    const bool resume = (args->flags & MARIUS_SESSION_RESUME) != 0;
    const bool overwrite = (args->flags & MARIUS_SESSION_OVERWRITE) != 0;
    if (config.task == TaskKind::kNodeClassification) {
      handle->task = "node_classification";
      handle->classifier = std::make_unique<NodeClassificationSession>(std::move(config), plugins);
      handle->classifier->initialize(resume, overwrite);
    } else {
      handle->task = "link_prediction";
      handle->score = config.score;
      handle->session = std::make_unique<Session>(std::move(config), plugins);
      handle->session->initialize(resume, overwrite);
    }
    keep_handle(handle.get());
    *out = handle.release();
  });
}

// The handle itself is never freed (handle.h): a call that races with close, or
// comes after it, fails "the session is closed" on the tombstone.
MARIUS_EXTERN_C marius_status marius_session_close(marius_session* session) {
  static const char* const call = "marius_session_close";
  if (session == nullptr) return MARIUS_OK;
  return guard(call, session, [&] {
    // Waits for the call in progress; refuses the session's own progress
    // callback and a closed session before changing anything.
    auto lock = session->lock(call);
    session->release();
  });
}

MARIUS_EXTERN_C const char* marius_session_error(marius_session* session) {
  if (session == nullptr) return "marius_session_error: session is NULL";
  try {
    std::lock_guard<std::mutex> lock(session->error_mutex);
    return session->error.c_str();
  } catch (...) {  // std::system_error from the mutex: never seen, but nothing may escape
    return "marius_session_error: cannot lock the session's error";
  }
}

MARIUS_EXTERN_C marius_status marius_session_get_info(marius_session* session, marius_session_info* out) {
  static const char* const call = "marius_session_get_info";
  return guard(call, session, [&] {
    marius_session& h = checked(session, call);
    require(out, call, "out");
    require_size(out->struct_size, MARIUS_SESSION_INFO_SIZE_1_0, call, "marius_session_info");
    auto lock = h.lock(call);
    marius_session_info info{};
    const DatasetInfo& d = h.dataset().info();
    info.num_nodes = d.num_nodes;
    info.num_relations = d.num_relations;
    info.train_edges = d.num_edges[0];
    info.valid_edges = d.num_edges[1];
    info.test_edges = d.num_edges[2];
    info.num_partitions = d.num_partitions;
    info.dataset_dir = h.dataset_dir.c_str();
    info.output_dir = h.output_dir.c_str();
    info.score = h.score.c_str();
    info.task = h.task.c_str();
    if (h.classifier) {
      NodeClassificationSession& nc = *h.classifier;
      const NodeData& nd = nc.node_data();
      const at::Tensor& embeddings = nc.input().embeddings;
      info.flags = MARIUS_INFO_NODE_CLASSIFICATION | MARIUS_INFO_ENCODER | (d.has_relations ? MARIUS_INFO_HAS_RELATIONS : 0u);
      info.dim = embeddings.defined() ? embeddings.size(1) : 0;
      info.node_table = embeddings.defined() ? embeddings.data_ptr() : nullptr;
      info.epochs_done = nc.epochs_done();
      info.epochs_configured = nc.config().epochs;
      info.representation_dim = nd.num_classes();
      info.num_classes = nd.num_classes();
      info.train_nodes = nd.nodes(Split::kTrain).numel();
      info.valid_nodes = nd.nodes(Split::kValid).numel();
      info.test_nodes = nd.nodes(Split::kTest).numel();
      fill_out(out, info);
      return;
    }
    Session& s = *h.session;
    const Model& m = s.model();
    info.flags = (s.out_of_core() ? MARIUS_INFO_OUT_OF_CORE : 0u) | (d.has_relations ? MARIUS_INFO_HAS_RELATIONS : 0u) |
                 (m.inverse_relations ? MARIUS_INFO_INVERSE_RELATIONS : 0u) | (s.has_encoder() ? MARIUS_INFO_ENCODER : 0u);
    info.relation_rows = m.relations.size(0);
    info.dim = m.dim;
    info.relation_width = m.relation_width;
    info.epochs_done = s.epochs_done();
    info.epochs_configured = s.config().epochs;
    info.buffer_capacity = s.buffer_capacity();
    info.node_table = m.embeddings.defined() ? m.embeddings.data_ptr() : nullptr;
    info.relation_table = m.relations.data_ptr();
    info.representation_dim = s.has_encoder() ? s.config().dim : 0;
    fill_out(out, info);
  });
}

MARIUS_EXTERN_C marius_status marius_session_train(marius_session* session, const marius_train_args* args,
                                                   marius_train_result* out) {
  static const char* const call = "marius_session_train";
  return guard(call, session, [&] {
    marius_session& h = checked(session, call);
    require(args, call, "args");
    require_size(args->struct_size, MARIUS_TRAIN_ARGS_SIZE_1_0, call, "marius_train_args");
    if (out != nullptr) require_size(out->struct_size, MARIUS_TRAIN_RESULT_SIZE_1_0, call, "marius_train_result");
    auto lock = h.lock(call);
    int64_t epochs = args->epochs;
    if (epochs == MARIUS_TRAIN_TO_CONFIG) {
      epochs = -1;
    } else if (epochs < 0) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: epochs must be 0 or more, or MARIUS_TRAIN_TO_CONFIG (-1); got {}", call,
           epochs);
    }
    TrainOptions options;
    options.epochs = epochs;
    std::optional<ProgressRelay> relay;
    if (args->progress != nullptr) relay.emplace(h, *args);
    const auto start = std::chrono::steady_clock::now();
    // Either task's report (TrainReport, NodeClassificationReport: the same members) into the C result.
    auto relay_result = [&](const auto& report) {
      if (relay && relay->threw()) fail(MARIUS_ERR_INTERNAL, "{}: the progress callback threw an exception", call);
      marius_train_result result{};
      result.epochs_trained = report.epochs_trained;
      result.edges = report.last.edges;
      result.loss = report.last_mean_loss;
      result.edges_per_sec = report.last.edges_per_sec;
      result.stopped = report.stopped ? 1 : 0;
      result.epochs_done = report.epochs_done;
      result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() -
                       report.checkpoint_seconds;
      if (out != nullptr) fill_out(out, result);
    };
    if (h.classifier) {
      relay_result(h.classifier->train(options, nullptr, relay ? &*relay : nullptr));
    } else {
      relay_result(h.session->train(options, relay ? &*relay : nullptr));
    }
  });
}

MARIUS_EXTERN_C marius_status marius_session_save(marius_session* session) {
  static const char* const call = "marius_session_save";
  return guard(call, session, [&] {
    marius_session& h = checked(session, call);
    auto lock = h.lock(call);
    if (h.classifier) {
      h.classifier->save();
    } else {
      h.session->save();
    }
  });
}

MARIUS_EXTERN_C marius_status marius_session_evaluate(marius_session* session, int32_t split, marius_metrics* out) {
  static const char* const call = "marius_session_evaluate";
  return guard(call, session, [&] {
    marius_session& h = checked(session, call);
    require(out, call, "out");
    require_size(out->struct_size, MARIUS_METRICS_SIZE_1_0, call, "marius_metrics");
    const Split which = split_of(split, call);
    auto lock = h.lock(call);
    marius_metrics metrics{};
    if (h.classifier) {
      ClassificationMetrics c = h.classifier->evaluate(which);
      metrics.protocol = MARIUS_PROTOCOL_ACCURACY;
      metrics.accuracy = c.accuracy;
      metrics.macro_f1 = c.macro_f1;
      metrics.nodes = c.nodes;
      metrics.seconds = c.seconds;
      fill_out(out, metrics);
      return;
    }
    const EvalProtocol protocol = h.session->config().eval_protocol;
    const bool given = protocol == EvalProtocol::kGiven || protocol == EvalProtocol::kClassification;
    if (given && !MARIUS_HAS_FIELD(marius_metrics, out, f1)) {
      fail(MARIUS_ERR_UNSUPPORTED, "{}: evaluation.protocol {} reports through the 1.3 members of marius_metrics; "
           "this caller's struct_size is {} (1.3: {})", call, protocol == EvalProtocol::kGiven ? "given" : "classification",
           out->struct_size, MARIUS_METRICS_SIZE_1_3);
    }
    RankMetrics m = h.session->evaluate(which);
    metrics.protocol = m.protocol == "sampled"          ? MARIUS_PROTOCOL_SAMPLED
                       : m.protocol == "given"          ? MARIUS_PROTOCOL_GIVEN
                       : m.protocol == "classification" ? MARIUS_PROTOCOL_CLASSIFICATION
                                                        : MARIUS_PROTOCOL_FILTERED;
    metrics.ranked = m.ranked ? 1 : 0;
    metrics.hits_at_count = static_cast<int32_t>(std::min<size_t>(m.hits_at.size(), MARIUS_MAX_HITS_AT));
    for (int32_t i = 0; i < metrics.hits_at_count; ++i) {
      metrics.hits_at_k[i] = m.hits_at[static_cast<size_t>(i)].first;
      metrics.hits_at[i] = m.hits_at[static_cast<size_t>(i)].second;
    }
    metrics.accuracy = m.accuracy;
    metrics.f1 = m.f1;
    metrics.negatives = m.negatives;
    metrics.rankings = m.rankings;
    metrics.mrr = m.mrr;
    metrics.mr = m.mr;
    metrics.hits1 = m.hits1;
    metrics.hits3 = m.hits3;
    metrics.hits10 = m.hits10;
    metrics.seconds = m.seconds;
    fill_out(out, metrics);
  });
}

MARIUS_EXTERN_C marius_status marius_session_export(marius_session* session, const char* dir) {
  static const char* const call = "marius_session_export";
  return guard(call, session, [&] {
    marius_session& h = checked(session, call);
    auto lock = h.lock(call);
    std::filesystem::path out = dir != nullptr && dir[0] != '\0' ? std::filesystem::path(dir)
                                                                 : std::filesystem::path(h.output_dir) / "export";
    if (h.classifier) {
      export_node_rows(h.classifier->representations(), h.classifier->dataset(), out, "representations");
      return;
    }
    Session& s = *h.session;
    export_model(s.model(), s.node_rows(), s.dataset(), out);
    if (s.has_encoder()) export_node_rows(s.representations(), s.dataset(), out, "representations");
  });
}
