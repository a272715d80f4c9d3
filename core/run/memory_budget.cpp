#include "core/run/memory_budget.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/storage/row_bytes.h"

namespace marius {

namespace {

constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

// The first number in `file` (a "max" or a missing file: kUnlimited).
uint64_t read_number(const char* file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text.empty() || text[0] < '0' || text[0] > '9') return kUnlimited;
  return std::stoull(text);
}

// A field of /proc/self/status or /proc/meminfo in kB, as bytes (kUnlimited if absent).
uint64_t read_kb_field(const char* file, const std::string& field) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream values(line.substr(field.size() + 1));
      uint64_t kb = 0;
      if (values >> kb) return kb * 1024;
    }
  }
  return kUnlimited;
}

std::string gib(uint64_t bytes) { return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1u << 30)); }

}  // namespace

uint64_t MemoryEstimate::total() const {
  uint64_t sum = 0;
  for (const Part& p : parts) sum += p.bytes;
  return sum;
}

MemoryEstimate estimate_training_memory(const Config& config, const DatasetInfo& info, const MemoryLayout& layout) {
  MemoryEstimate e;
  const uint64_t row = node_row_bytes(config.dim);  // embedding + Adagrad state
  const uint64_t prefetch = config.prefetch ? 1 : 0;
  if (layout.buffer_capacity == 0) {
    e.parts.push_back({"node embeddings and Adagrad state", "model.dim (or train out of core: storage.buffer_capacity)",
                       static_cast<uint64_t>(info.num_nodes) * row});
  } else {
    e.parts.push_back({"the partition buffer", "storage.buffer_capacity / storage.buffer_bytes, model.dim",
                       (layout.buffer_capacity + prefetch) * static_cast<uint64_t>(layout.largest_partition_rows) * row});
  }
  if (layout.feature_width > 0) {  // float32 rows: the whole table in memory, or the pages beside the buffer
    const uint64_t rows = layout.buffer_capacity == 0
                              ? static_cast<uint64_t>(info.num_nodes)
                              : (layout.buffer_capacity + prefetch) * static_cast<uint64_t>(layout.largest_partition_rows);
    e.parts.push_back({layout.buffer_capacity == 0 ? "node features" : "the feature pages",
                       "model.node_input (or train out of core: storage.buffer_capacity)",
                       rows * static_cast<uint64_t>(layout.feature_width) * sizeof(float)});
  }
  if (layout.device_capacity > 0 && layout.device_on_host) {
    e.parts.push_back({"the device tier (in host memory)", "storage.device_capacity / storage.device_bytes",
                       (layout.device_capacity + prefetch) * static_cast<uint64_t>(layout.largest_partition_rows) * row});
  }
  const uint64_t relation_rows = static_cast<uint64_t>(info.num_relations) * (config.inverse_relations ? 2 : 1);
  const uint64_t relation_copies = config.relation_optimizer == RelationOptimizer::kAdam ? 3 : 2;
  e.parts.push_back({"relations and their optimizer state", "model.dim",
                     relation_rows * static_cast<uint64_t>(layout.relation_width) * sizeof(float) * relation_copies});
  // Edges as int64 triples: the splits read for training and evaluation, the
  // epoch's shuffle, and the filter's sets (about 3 words an edge).
  const uint64_t edges = static_cast<uint64_t>(info.num_edges[0] + info.num_edges[1] + info.num_edges[2]);
  const uint64_t filters = (config.filtered ? 1 : 0) + (config.eval_protocol == EvalProtocol::kFiltered ? 1 : 0);
  e.parts.push_back({"edges (training, evaluation, filters)", "negatives.filtered, evaluation.protocol",
                     edges * 3 * sizeof(int64_t) * (2 + 2 * filters)});
  // Per batch: gathered node rows, their gradients and the backward's
  // temporaries; the score matrix, its gradient and the filter's mask.
  const uint64_t S = static_cast<uint64_t>((config.batch_size + config.chunks - 1) / config.chunks);
  const uint64_t C = static_cast<uint64_t>((config.batch_size + static_cast<int64_t>(S) - 1) / static_cast<int64_t>(S));
  const uint64_t N = static_cast<uint64_t>(config.per_chunk) * (config.shared_negatives ? 1 : 2) +
                     (config.anchor_negatives ? 2 * S : 0);
  const uint64_t rows = 2 * C * S + C * N;
  const uint64_t per_batch = rows * static_cast<uint64_t>(config.dim) * sizeof(float) * 3 + C * 2 * S * N * 9;
  const uint64_t in_flight = config.pipeline_mode == PipelineMode::kSync
                                 ? 1
                                 : static_cast<uint64_t>(config.staleness + 2 * config.queue_size);
  e.parts.push_back({fmt::format("batch temporaries ({} in flight)", in_flight),
                     "training.batch_size, negatives.per_chunk, model.dim, pipeline.staleness", per_batch * in_flight});
  // Filtered evaluation keeps a block's score matrix near 128 MiB, and its copies.
  e.parts.push_back({"evaluation blocks", "evaluation.batch_size", uint64_t{1} << 29});
  return e;
}

uint64_t available_memory(std::string* source) {
  uint64_t best = read_kb_field("/proc/meminfo", "MemAvailable");
  std::string why = "MemAvailable in /proc/meminfo";
  auto consider = [&](uint64_t limit, uint64_t used, const std::string& name) {
    if (limit == kUnlimited) return;
    const uint64_t left = used == kUnlimited || used >= limit ? 0 : limit - used;
    if (left < best) best = left, why = name;
  };
  consider(read_number("/sys/fs/cgroup/memory.max"), read_number("/sys/fs/cgroup/memory.current"),
           "the cgroup limit /sys/fs/cgroup/memory.max");
  consider(read_number("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
           read_number("/sys/fs/cgroup/memory/memory.usage_in_bytes"),
           "the cgroup limit /sys/fs/cgroup/memory/memory.limit_in_bytes");
  struct rlimit as {};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    consider(static_cast<uint64_t>(as.rlim_cur), read_kb_field("/proc/self/status", "VmSize"),
             "the address-space limit (ulimit -v)");
  }
  if (source != nullptr) *source = why;
  return best;
}

void require_memory(const MemoryEstimate& estimate, uint64_t available, const std::string& source) {
  const uint64_t total = estimate.total();
  if (total <= available) return;
  std::vector<MemoryEstimate::Part> parts = estimate.parts;
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
  std::string detail;
  for (size_t i = 0; i < parts.size() && i < 3; ++i) {
    if (parts[i].bytes == 0) break;
    detail += fmt::format("{}{} {} (set by {})", i == 0 ? "" : "; ", parts[i].what, gib(parts[i].bytes), parts[i].keys);
  }
  fail(MARIUS_ERR_OUT_OF_MEMORY,
       "training needs about {} of memory but this process may use {} ({}): {}. Lower the first of these keys, or "
       "train out of core (preprocess --partitions p, storage.buffer_capacity)",
       gib(total), gib(available), source, detail);
}

}  // namespace marius
