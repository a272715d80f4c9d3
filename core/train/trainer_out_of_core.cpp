// Trainer::train_out_of_core: one epoch over the partition buffer (see
// trainer.h and docs/out-of-core.md).
#include <chrono>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/data/dataset.h"
#include "core/train/seed_mix.h"
#include "core/train/trainer.h"

namespace marius {

EpochResult Trainer::train_out_of_core(int64_t epoch, Progress* progress) {
  auto start = std::chrono::steady_clock::now();
  const Dataset& dataset = *out_of_core_.dataset;
  PartitionBuffer& buffer = *out_of_core_.buffer;
  const std::vector<int64_t>& offsets = dataset.partition_offsets();
  const std::vector<int64_t>& buckets = dataset.bucket_offsets();
  const int32_t p = static_cast<int32_t>(offsets.size()) - 1;
  const int64_t rows = buffer.slot_rows();

  // The plan: randomised orderings draw from a stream of (seed, epoch).
  CallContext ctx(out_of_core_.ordering->label());
  RandomStream plan_stream(mix(static_cast<uint64_t>(config_.seed) ^ mix(epoch + 0x51a7)));
  ctx.set_rng(plan_stream.get());
  Plan plan = out_of_core_.ordering->plan(ctx, p, buffer.capacity());

  // Negatives come only from the partitions resident in a state, so a
  // partition resident for many edges (BETA's fixed group) would be drawn more
  // often than the rest. With storage.balance_negatives, partition k is drawn
  // in proportion to rows(k) / V_k, V_k the training edges of the states that
  // hold it: each state samples from a sub-range of its partitions' rows (the
  // least-resident partition whole, the others shortened), rotated from state
  // to state, so over the epoch every node is drawn about equally often.
  std::vector<int64_t> state_edges(plan.states.size(), 0);
  std::vector<double> volume(static_cast<size_t>(p), 0);
  for (size_t s = 0; s < plan.states.size(); ++s) {
    for (auto [i, j] : plan.states[s].buckets) {
      const int64_t b = static_cast<int64_t>(i) * p + j;
      state_edges[s] += buckets[b + 1] - buckets[b];
    }
    for (int32_t k : plan.states[s].partitions) volume[k] += static_cast<double>(state_edges[s]);
  }

  EpochResult r;
  r.out_of_core = true;
  r.states = static_cast<int64_t>(plan.states.size());
  int64_t first_batch = 0;
  buffer.start_epoch(plan);
  try {
    for (size_t s = 0; s < plan.states.size(); ++s) {
      const BufferState& state = plan.states[s];
      std::vector<int32_t> slot = buffer.acquire(s);
      // The rows of the state's partitions: negatives come only from them.
      NodeTable table;
      table.embeddings = buffer.embeddings();
      table.state = buffer.state();
      table.degrees = at::zeros({buffer.slots() * rows}, at::kLong);
      table.global_ids = at::full({buffer.slots() * rows}, -1, at::kLong);
      double least = 0;  // the smallest volume among the state's partitions
      for (int32_t k : state.partitions) {
        if (volume[k] > 0 && (least == 0 || volume[k] < least)) least = volume[k];
      }
      std::vector<int64_t> ranges;
      for (int32_t k : state.partitions) {
        const int64_t base = slot[k] * rows, n = offsets[k + 1] - offsets[k];
        table.degrees.narrow(0, base, n).copy_(degrees_.narrow(0, offsets[k], n));
        table.global_ids.narrow(0, base, n).copy_(at::arange(offsets[k], offsets[k + 1], at::kLong));
        int64_t length = n;
        if (config_.balance_negatives && least > 0 && volume[k] > least) {
          length = std::max<int64_t>(1, std::llround(static_cast<double>(n) * least / volume[k]));
        }
        const int64_t start = length == n ? 0 : static_cast<int64_t>(
            mix(mix(static_cast<uint64_t>(config_.seed) ^ mix(epoch)) ^ (s * 1315423911ULL + k)) % static_cast<uint64_t>(n));
        const int64_t first = std::min(length, n - start);  // [start, start + length) wrapped around the partition
        ranges.insert(ranges.end(), {base + start, base + start + first});
        if (first < length) ranges.insert(ranges.end(), {base, base + (length - first)});
      }
      table.node_ranges = at::tensor(ranges, at::kLong).view({-1, 2});
      // The state's buckets, in buffer rows.
      std::vector<at::Tensor> parts;
      for (auto [i, j] : state.buckets) {
        const int64_t b = static_cast<int64_t>(i) * p + j;
        if (buckets[b + 1] == buckets[b]) continue;
        at::Tensor e = dataset.edges(Split::kTrain, buckets[b], buckets[b + 1]);
        e.select(1, 0).add_(slot[i] * rows - offsets[i]);
        e.select(1, 2).add_(slot[j] * rows - offsets[j]);
        parts.push_back(e);
      }
      if (!parts.empty()) {
        at::Tensor edges = parts.size() == 1 ? parts[0] : at::cat(parts);
        at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(
            mix(mix(static_cast<uint64_t>(config_.seed) ^ mix(epoch)) ^ static_cast<uint64_t>(s)));
        at::Tensor order = at::randperm(edges.size(0), gen, at::kLong);
        r.loss += run_batches(epoch, edges, order, first_batch, table, progress);
        first_batch += (edges.size(0) + config_.batch_size - 1) / config_.batch_size;
        r.edges += edges.size(0);
      }
      buffer.release(s);
    }
    r.io = buffer.finish_epoch();
  } catch (...) {
    buffer.abort();
    throw;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.edges_per_sec = r.seconds > 0 ? r.edges / r.seconds : 0;
  return r;
}

}  // namespace marius
