// core/capi/library_api.cpp - the boundary helpers and the calls that need no
// session: version, errors, log level, preprocessing.
#include <atomic>
#include <cstddef>

#include <c10/util/Exception.h>

#include "core/capi/guard.h"
#include "core/capi/handle.h"
#include "core/data/preprocess.h"
#include "core/logging.h"

// The frozen 1.0 sizes (LP64), as docs/abi.md lists them. A change here is an
// ABI break: append members and add *_SIZE_1_1 constants instead.
static_assert(MARIUS_PREPROCESS_ARGS_SIZE_1_0 == 112);
static_assert(MARIUS_DATASET_SUMMARY_SIZE_1_0 == 64);
static_assert(MARIUS_SESSION_ARGS_SIZE_1_0 == 56);
static_assert(MARIUS_SESSION_INFO_SIZE_1_0 == 144);
static_assert(MARIUS_PROGRESS_SIZE_1_0 == 64);
static_assert(MARIUS_TRAIN_ARGS_SIZE_1_0 == 40);
static_assert(MARIUS_TRAIN_RESULT_SIZE_1_0 == 56);
static_assert(MARIUS_METRICS_SIZE_1_0 == 72);
static_assert(MARIUS_PREDICT_ARGS_SIZE_1_0 == 56);
static_assert(offsetof(DLManagedTensor, deleter) == 56);  // DLPack 0.6 layout
// The frozen 1.1 sizes.
static_assert(MARIUS_PREPROCESS_ARGS_SIZE_1_1 == 152);
static_assert(MARIUS_DATASET_SUMMARY_SIZE_1_1 == 112);
static_assert(MARIUS_SESSION_INFO_SIZE_1_1 == 192);
static_assert(MARIUS_METRICS_SIZE_1_1 == 96);
static_assert(MARIUS_CLASSIFY_ARGS_SIZE_1_1 == 48);
// The frozen 1.2 sizes.
static_assert(MARIUS_SIMILAR_ARGS_SIZE_1_2 == 48);
// The frozen 1.3 sizes.
static_assert(MARIUS_PREPROCESS_ARGS_SIZE_1_3 == 176);
static_assert(MARIUS_DATASET_SUMMARY_SIZE_1_3 == 128);
static_assert(MARIUS_METRICS_SIZE_1_3 == 240);

namespace marius::capi {

namespace {

thread_local std::string last_error;

}  // namespace

const char* last_error_text() noexcept { return last_error.c_str(); }

marius_status report(marius_session* session, marius_status code, const char* call, const char* message) noexcept {
  try {
    std::string text = call != nullptr ? std::string(call) + ": " + message : std::string(message);
    if (session != nullptr) {
      std::lock_guard<std::mutex> lock(session->error_mutex);
      session->error = text;
    }
    last_error = std::move(text);
  } catch (...) {  // out of memory while copying the message: keep the code
    try {
      last_error = "out of memory while reporting an error";
    } catch (...) {
    }
  }
  return code;
}

const char* c10_message(const std::exception& e) noexcept {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) return c10->what_without_backtrace();
  return e.what();
}

void require_size(uint32_t struct_size, uint64_t minimum, const char* call, const char* type) {
  if (struct_size < minimum) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {}.struct_size is {}, below its 1.0 size {} (set it to sizeof({}))", call,
         type, struct_size, minimum, type);
  }
}

marius_session*& callback_session() noexcept {
  thread_local marius_session* current = nullptr;
  return current;
}

namespace {

std::atomic<marius_session*> all_handles{nullptr};  // head of the list of every handle opened

}  // namespace

void keep_handle(marius_session* handle) noexcept {
  marius_session* head = all_handles.load(std::memory_order_relaxed);
  do {
    handle->next_handle = head;
  } while (!all_handles.compare_exchange_weak(head, handle, std::memory_order_release, std::memory_order_relaxed));
}

marius_session& checked(marius_session* session, const char* call) {
  require(session, call, "session");
  return *session;
}

void require_table(int32_t table, const char* call) {
  if (table != MARIUS_TABLE_NODES && table != MARIUS_TABLE_RELATIONS && table != MARIUS_TABLE_REPRESENTATIONS) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "{}: table {} is not MARIUS_TABLE_NODES (1), MARIUS_TABLE_RELATIONS (2) or MARIUS_TABLE_REPRESENTATIONS (3)",
         call, table);
  }
}

}  // namespace marius::capi

using namespace marius;
using namespace marius::capi;

MARIUS_EXTERN_C uint32_t marius_embedding_version(void) {
  return (static_cast<uint32_t>(MARIUS_EMBEDDING_MAJOR) << 16) | MARIUS_EMBEDDING_MINOR;
}

MARIUS_EXTERN_C const char* marius_last_error(void) { return last_error_text(); }

MARIUS_EXTERN_C const char* marius_status_name(marius_status code) { return status_name(code); }

MARIUS_EXTERN_C marius_status marius_set_log_level(const char* level) {
  return guard("marius_set_log_level", nullptr, [&] {
    require(level, "marius_set_log_level", "level");
    set_log_level(level);
  });
}

MARIUS_EXTERN_C marius_status marius_preprocess(const marius_preprocess_args* args, marius_dataset_summary* out) {
  static const char* const call = "marius_preprocess";
  return guard(call, nullptr, [&] {
    require(args, call, "args");
    require_size(args->struct_size, MARIUS_PREPROCESS_ARGS_SIZE_1_0, call, "marius_preprocess_args");
    if (out != nullptr) require_size(out->struct_size, MARIUS_DATASET_SUMMARY_SIZE_1_0, call, "marius_dataset_summary");
    const uint32_t known = MARIUS_PREPROCESS_HEADER | MARIUS_PREPROCESS_FEATURES_FLOAT16;
    if ((args->flags & ~known) != 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: unknown flags {:#x}", call, args->flags & ~known);
    auto text = [](const char* s) { return s != nullptr ? std::string(s) : std::string(); };
    PreprocessOptions o;
    o.train = text(args->train);
    o.valid = text(args->valid);
    o.test = text(args->test);
    o.input = text(args->input);
    if (args->input != nullptr) {  // validated like --split
      o.split = parse_split(fmt::format("{},{},{}", args->split_train, args->split_valid, args->split_test));
    }
    o.seed = args->seed;
    if (args->output == nullptr || args->output[0] == '\0') fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: output is not set", call);
    o.output = args->output;
    o.format.delimiter = parse_delimiter(args->delimiter != nullptr ? args->delimiter : "tab");
    o.format.header = (args->flags & MARIUS_PREPROCESS_HEADER) != 0;
    o.format.columns = ColumnLayout::parse(text(args->columns));
    o.format.ids = parse_id_kind(args->ids != nullptr ? args->ids : "string");
    o.partitions = args->partitions > 1 ? args->partitions : 1;
    if (MARIUS_HAS_FIELD(marius_preprocess_args, args, test_nodes)) {  // a 1.0 caller's struct ends before them
      o.node_inputs.features = text(args->features);
      o.node_inputs.labels = text(args->labels);
      o.node_inputs.split_nodes[0] = text(args->train_nodes);
      o.node_inputs.split_nodes[1] = text(args->valid_nodes);
      o.node_inputs.split_nodes[2] = text(args->test_nodes);
    }
    o.node_inputs.float16 = (args->flags & MARIUS_PREPROCESS_FEATURES_FLOAT16) != 0;
    if (MARIUS_HAS_FIELD(marius_preprocess_args, args, negatives_layout)) {
      o.negatives[static_cast<int>(Split::kValid)] = text(args->valid_negatives);
      o.negatives[static_cast<int>(Split::kTest)] = text(args->test_negatives);
      if (args->negatives_layout != nullptr && args->negatives_layout[0] != '\0') {
        o.negatives_layout = parse_negatives_layout(args->negatives_layout, std::string(call) + ": negatives_layout");
      }
    }
    PreprocessResult r = preprocess(o);
    if (out != nullptr) {
      marius_dataset_summary s{};
      s.has_relations = r.info.has_relations ? 1 : 0;
      s.num_nodes = r.info.num_nodes;
      s.num_relations = r.info.num_relations;
      s.train_edges = r.info.num_edges[0];
      s.valid_edges = r.info.num_edges[1];
      s.test_edges = r.info.num_edges[2];
      s.num_partitions = r.info.num_partitions;
      s.seconds = r.seconds;
      s.feature_dim = r.node_data.feature_dim;
      s.num_classes = r.node_data.num_classes;
      s.labelled_nodes = r.node_data.labelled_nodes;
      s.train_nodes = r.node_data.split_nodes[0];
      s.valid_nodes = r.node_data.split_nodes[1];
      s.test_nodes = r.node_data.split_nodes[2];
      s.valid_negatives = r.given_negatives[static_cast<int>(Split::kValid)];
      s.test_negatives = r.given_negatives[static_cast<int>(Split::kTest)];
      fill_out(out, s);
    }
  });
}
