#include "core/run/scheduler.h"

#include <chrono>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include "core/data/dataset.h"
#include "core/logging.h"
#include "core/storage/table_source.h"
#include "core/kernels/kernel_threads.h"
#include "core/run/seed_mix.h"

namespace marius {

namespace {

using Clock = std::chrono::steady_clock;

// Relations (small) live on the training device for the epoch and are copied
// back into the host tensors when it ends, however it ends (views of them, such
// as the embedding API's, stay valid).
class RelationsOnDevice {
 public:
  RelationsOnDevice(Model& model, c10::Device device) {
    if (device.is_cpu()) return;
    for (at::Tensor* t : {&model.relations, &model.relation_state, &model.relation_state2, &model.relation_steps}) {
      if (!t->defined()) continue;
      host_.emplace_back(t, *t);
      *t = t->to(device);
    }
  }
  ~RelationsOnDevice() {
    for (auto& [t, original] : host_) {
      try {
        original.copy_(*t);
      } catch (const std::exception& e) {  // a device error: the host keeps the epoch's starting values
        logger().error("relations: copying back from the device failed: {}", e.what());
      }
      *t = original;
    }
  }
  RelationsOnDevice(const RelationsOnDevice&) = delete;
  RelationsOnDevice& operator=(const RelationsOnDevice&) = delete;

 private:
  std::vector<std::pair<at::Tensor*, at::Tensor>> host_;  // each moved tensor and its host original
};

}  // namespace

nlohmann::ordered_json io_json(const BufferStats& s) {
  return {{"swaps", s.swaps},
          {"partitions_read", s.partitions_read},
          {"partitions_written", s.partitions_written},
          {"bytes_read", s.bytes_read},
          {"bytes_written", s.bytes_written},
          {"read_seconds", s.read_seconds},
          {"write_seconds", s.write_seconds},
          {"wait_seconds", s.wait_seconds}};
}

double EpochResult::mean_loss(Reduction reduction) const {
  if (reduction == Reduction::kMean) return batches > 0 ? loss / static_cast<double>(batches) : 0.0;
  return edges > 0 ? loss / static_cast<double>(edges) : 0.0;
}

EpochScheduler::EpochScheduler(const Config& config, Model& model, at::Tensor train_edges, at::Tensor degrees,
                               Tiers tiers)
    : config_(config), model_(model), edges_(std::move(train_edges)), degrees_(std::move(degrees)), tiers_(tiers) {}

EpochResult EpochScheduler::train_epoch(Task& task, int64_t epoch, Progress* progress) const {
  task.take_times();  // the epoch's split starts at zero
  const PipelineOptions options = pipeline_options(config_);
  // Sync: the batch's ATen kernels use training.threads; the BLAS stays at one
  // thread (OpenMP's and OpenBLAS's pools both busy on the same cores ran
  // configuration R 2.7x slower, see docs/pipeline.md).
  KernelThreads kernels(options.mode == PipelineMode::kSync ? static_cast<int>(config_.threads) : 1, 1);
  // OpenMP's thread count is per thread: each stage worker runs single-threaded kernels.
  Pipeline pipeline(options, [] { at::set_num_threads(1); });
  RelationsOnDevice relations(model_, tiers_.device);

  EpochResult r;
  auto start = Clock::now();
  const int64_t p = tiers_.dataset != nullptr ? static_cast<int64_t>(tiers_.dataset->partition_offsets().size()) - 1 : 1;
  if (tiers_.buffer != nullptr || tiers_.features != nullptr || (tiers_.device_capacity > 0 && tiers_.device_capacity < p)) {
    r = train_partitioned(pipeline, task, epoch, progress);
  } else if (tiers_.device_capacity > 0) {
    r = train_whole_on_device(pipeline, task, epoch, progress);
  } else {
    NodeTable table{model_.embeddings, model_.embedding_state,
                    at::tensor({int64_t{0}, model_.num_nodes}, at::kLong).view({1, 2}), degrees_, at::Tensor()};
    SegmentTotals t = train_in_memory(pipeline, task, epoch, table, progress);
    r.loss = t.loss, r.batches = t.batches, r.edges = t.examples, r.gradient_rows = t.gradient_rows;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.edges_per_sec = r.seconds > 0 ? r.edges / r.seconds : 0;
  r.pipeline = pipeline.stats();
  r.times = task.take_times();
  return r;
}

SegmentTotals EpochScheduler::train_in_memory(Pipeline& pipeline, Task& task, int64_t epoch, const NodeTable& table,
                                              Progress* progress) const {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(mix(static_cast<uint64_t>(config_.seed) ^ mix(epoch)));
  at::Tensor order = at::randperm(edges_.size(0), gen, at::kLong);
  if (tiers_.shards > 1) {  // the same order on every worker (same seed), this worker's stride of it
    const int64_t n = order.size(0), padded = (n + tiers_.shards - 1) / tiers_.shards * tiers_.shards;
    if (padded > n) order = at::cat({order, order.narrow(0, 0, padded - n)});
    order = order.slice(0, tiers_.shard, padded, tiers_.shards).contiguous();
  }
  Segment segment{epoch, 0, &table, edges_, order};
  return run_segment(pipeline, task, segment, progress);
}

EpochResult EpochScheduler::train_whole_on_device(Pipeline& pipeline, Task& task, int64_t epoch,
                                                  Progress* progress) const {
  TableSource below(model_.embeddings, model_.embedding_state, {model_.num_nodes});
  below.place({0});
  PartitionBuffer device(below, 1, /*prefetch=*/false, tiers_.device);
  Plan plan;
  plan.num_partitions = plan.buffer_capacity = 1;
  plan.states.push_back(BufferState{{0}, {{0, 0}}});
  EpochResult r;
  r.device_tier = true;
  r.device_states = 1;
  device.start_epoch(plan);
  try {
    device.acquire(0);
    // The slab's one slot holds the table row for row: ids are rows, as in memory.
    NodeTable table{device.embeddings(), device.state(),
                    at::tensor({int64_t{0}, model_.num_nodes}, at::kLong).view({1, 2}), degrees_, at::Tensor()};
    SegmentTotals t = train_in_memory(pipeline, task, epoch, table, progress);
    r.loss = t.loss, r.batches = t.batches, r.edges = t.examples, r.gradient_rows = t.gradient_rows;
    device.release(0);
    r.device_io = device.finish_epoch();
  } catch (...) {
    device.abort();
    throw;
  }
  return r;
}

}  // namespace marius
