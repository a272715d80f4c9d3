// EpochScheduler's partitioned epochs: out of core over the host partition
// buffer, and the device tier above the host tables (see scheduler.h and
// docs/out-of-core.md, "Three tiers").
#include <algorithm>
#include <chrono>
#include <memory>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/data/dataset.h"
#include "core/run/scheduler.h"
#include "core/run/node_assignment.h"
#include "core/error.h"
#include "core/gnn/adjacency.h"
#include "core/gnn/gnn_model.h"
#include "core/storage/table_source.h"
#include "core/storage/tier_plan.h"
#include "core/run/seed_mix.h"

namespace marius {

namespace {

// Every bucket of p partitions in one state: the host tier when the whole
// table is in memory.
Plan whole_plan(int32_t p) {
  Plan plan;
  plan.num_partitions = p;
  plan.buffer_capacity = p;
  BufferState state;
  for (int32_t k = 0; k < p; ++k) state.partitions.push_back(k);
  for (int32_t i = 0; i < p; ++i) {
    for (int32_t j = 0; j < p; ++j) state.buckets.emplace_back(i, j);
  }
  plan.states.push_back(std::move(state));
  return plan;
}

void add(BufferStats& total, const BufferStats& s) {
  total.partitions_read += s.partitions_read;
  total.partitions_written += s.partitions_written;
  total.swaps += s.swaps;
  total.bytes_read += s.bytes_read;
  total.bytes_written += s.bytes_written;
  total.read_seconds += s.read_seconds;
  total.write_seconds += s.write_seconds;
  total.wait_seconds += s.wait_seconds;
}

}  // namespace

Plan EpochScheduler::device_plan(const BufferState& host, int64_t epoch, size_t index) const {
  const int32_t p = static_cast<int32_t>(tiers_.dataset->partition_offsets().size()) - 1;
  CallContext ctx(tiers_.ordering->label());
  RandomStream stream(mix(mix(static_cast<uint64_t>(config_.seed) ^ mix(epoch + 0x51a7)) ^ mix(index + 1)));
  ctx.set_rng(stream.get());
  return plan_within(*tiers_.ordering, ctx, host, p, tiers_.device_capacity);
}

EpochResult EpochScheduler::train_partitioned(Pipeline& pipeline, Task& task, int64_t epoch,
                                              Progress* progress) const {
  const Dataset& dataset = *tiers_.dataset;
  PartitionBuffer* host = tiers_.buffer;
  FeaturePages* pages = tiers_.features;
  const bool device = tiers_.device_capacity > 0;
  const bool paged = host != nullptr || pages != nullptr;  // out of core
  const std::vector<int64_t>& offsets = dataset.partition_offsets();
  const std::vector<int64_t>& buckets = dataset.bucket_offsets();
  const int32_t p = static_cast<int32_t>(offsets.size()) - 1;
  if (pages != nullptr && device) fail(MARIUS_ERR_INTERNAL, "feature pages under a device tier");

  // The host plan (randomised orderings draw from a stream of (seed, epoch)),
  // or the whole table in memory; with a device tier, each host state's plan
  // for the device.
  Plan plan;
  if (paged) {
    CallContext ctx(tiers_.ordering->label());
    RandomStream plan_stream(mix(static_cast<uint64_t>(config_.seed) ^ mix(epoch + 0x51a7)));
    ctx.set_rng(plan_stream.get());
    plan = tiers_.ordering->plan(ctx, p, host != nullptr ? host->capacity() : tiers_.capacity);
  } else {
    plan = whole_plan(p);
  }
  std::vector<Plan> sub(device ? plan.states.size() : 0);
  for (size_t s = 0; s < sub.size(); ++s) sub[s] = device_plan(plan.states[s], epoch, s);
  // The states that train, in order: the host states, or the device's sub-states.
  std::vector<const BufferState*> trained;
  for (size_t s = 0; s < plan.states.size(); ++s) {
    if (!device) {
      trained.push_back(&plan.states[s]);
    } else {
      for (const BufferState& t : sub[s].states) trained.push_back(&t);
    }
  }

  // Node examples: each training node trains in one state of a cover of the
  // partitions (node_assignment.h); the states outside it are skipped, reading
  // nothing.
  const bool node_examples = tiers_.train_nodes.defined();
  std::vector<std::vector<int64_t>> nodes_of;
  if (node_examples) {
    const uint64_t draw = mix(static_cast<uint64_t>(config_.seed) ^ mix(epoch + 0x6e6f));
    nodes_of = assign_training_nodes(trained, tiers_.train_nodes, dataset, draw);
  }
  // The state after `s` that trains something: the one feature pages prefetch for.
  auto next_trained = [&](size_t s) -> const BufferState* {
    for (size_t t = s + 1; t < plan.states.size(); ++t) {
      if (!node_examples || !nodes_of[t].empty()) return &plan.states[t];
    }
    return nullptr;
  };

  // Negatives come only from the partitions resident in the training tier, so
  // a partition resident for many edges (BETA's fixed group) would be drawn
  // more often than the rest. With storage.balance_negatives, partition k is
  // drawn in proportion to rows(k) / V_k, V_k the training edges of the states
  // that hold it: each state samples from a sub-range of its partitions' rows
  // (the least-resident partition whole, the others shortened), rotated from
  // state to state, so over the epoch every node is drawn about equally often.
  std::vector<double> volume(static_cast<size_t>(p), 0);
  for (const BufferState* state : trained) {
    int64_t edges = 0;
    for (auto [i, j] : state->buckets) {
      const int64_t b = static_cast<int64_t>(i) * p + j;
      edges += buckets[b + 1] - buckets[b];
    }
    for (int32_t k : state->partitions) volume[k] += static_cast<double>(edges);
  }

  EpochResult r;
  r.out_of_core = paged;
  r.states = paged ? static_cast<int64_t>(plan.states.size()) : 0;
  r.device_tier = device;
  int64_t first_batch = 0;
  size_t index = 0;  // of the training state within the epoch

  // The rows a state trains on: a partition buffer's slab, or the feature
  // pages' slot layout alone (no embeddings).
  struct Slab {
    at::Tensor embeddings, state;
    int32_t slots = 0;
    int64_t slot_rows = 0;
  };
  auto slab_of = [](PartitionBuffer& b) { return Slab{b.embeddings(), b.state(), b.slots(), b.slot_rows()}; };

  // Trains the examples of `state`, whose partitions are resident in `tier`'s
  // slots `slot`, on the tier's rows. `next`: the state after it, when feature
  // pages that assign their own slots may prefetch for it.
  auto train_state = [&](const BufferState& state, const Slab& tier, const std::vector<int32_t>& slot,
                         const BufferState* next) {
    const size_t s = index++;
    const int64_t rows = tier.slot_rows;
    // Bucket (i, j)'s edges in the tier's rows.
    auto bucket_edges = [&](int32_t i, int32_t j) {
      const int64_t b = static_cast<int64_t>(i) * p + j;
      at::Tensor e = dataset.edges(Split::kTrain, buckets[b], buckets[b + 1]);
      e.select(1, 0).add_(slot[i] * rows - offsets[i]);
      e.select(1, 2).add_(slot[j] * rows - offsets[j]);
      return e;
    };
    // The state's examples: its buckets' edges, or the nodes drawn for it.
    at::Tensor examples;
    if (node_examples) {
      std::vector<int64_t>& nodes = nodes_of[s];
      if (nodes.empty()) return;
      for (int64_t& n : nodes) {
        const int32_t k = static_cast<int32_t>(dataset.partition_of(n));
        n = slot[k] * rows + (n - offsets[k]);
      }
      examples = at::tensor(nodes, at::kLong).view({-1, 1});
    } else {
      std::vector<at::Tensor> parts;
      for (auto [i, j] : state.buckets) {
        const int64_t b = static_cast<int64_t>(i) * p + j;
        if (buckets[b + 1] == buckets[b]) continue;
        parts.push_back(bucket_edges(i, j));
      }
      if (parts.empty()) return;
      examples = parts.size() == 1 ? parts[0] : at::cat(parts);
    }
    ++r.states_trained;
    // The rows of the state's partitions: negatives come only from them.
    NodeTable table;
    table.embeddings = tier.embeddings;
    table.state = tier.state;
    table.degrees = at::zeros({tier.slots * rows}, at::kLong);
    table.global_ids = at::full({tier.slots * rows}, -1, at::kLong);
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
    if (pages != nullptr) {
      pages->load(state.partitions, slot);
      if (next != nullptr) pages->prefetch(state.partitions, next->partitions);
      table.features = pages->rows();
    }
    // A task that samples neighbourhoods samples them among the resident
    // partitions: the training edges of every bucket between two of them
    // (MariusGNN's restriction out of core; docs/gnn.md).
    std::unique_ptr<Adjacency> adjacency;
    if (task.samples_neighbourhoods()) {
      std::vector<at::Tensor> resident{at::empty({0, 3}, at::kLong)};
      for (int32_t i : state.partitions) {
        for (int32_t j : state.partitions) resident.push_back(bucket_edges(i, j));
      }
      const DatasetInfo& info = dataset.info();
      adjacency = std::make_unique<Adjacency>(Adjacency::build(at::cat(resident), tier.slots * rows, info.num_relations,
                                                               info.has_relations, direction_of(config_.direction)));
      if (tiers_.neighbourhood_degrees.defined()) {  // the layers' degrees are the whole graph's, not the state's
        adjacency->degrees.zero_();
        for (int32_t k : state.partitions) {
          const int64_t n = offsets[k + 1] - offsets[k];
          adjacency->degrees.narrow(0, slot[k] * rows, n).copy_(tiers_.neighbourhood_degrees.narrow(0, offsets[k], n));
        }
      }
      table.adjacency = adjacency.get();
    }
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(
        mix(mix(static_cast<uint64_t>(config_.seed) ^ mix(epoch)) ^ static_cast<uint64_t>(s)));
    Segment segment{epoch, first_batch, &table, examples, at::randperm(examples.size(0), gen, at::kLong)};
    const SegmentTotals t = run_segment(pipeline, task, segment, progress);
    first_batch += t.batches;
    r.loss += t.loss, r.batches += t.batches, r.edges += t.examples, r.gradient_rows += t.gradient_rows;
  };

  // The device tier: a buffer on the device over the host tables (the model's
  // in memory, the host buffer's slab out of core).
  std::unique_ptr<TableSource> below;
  std::unique_ptr<PartitionBuffer> device_buffer;
  if (device) {
    std::vector<int64_t> rows(static_cast<size_t>(p));
    for (int32_t k = 0; k < p; ++k) rows[k] = offsets[k + 1] - offsets[k];
    below = host != nullptr ? std::make_unique<TableSource>(host->embeddings(), host->state(), rows)
                            : std::make_unique<TableSource>(model_.embeddings, model_.embedding_state, rows);
    // A device tier as large as the host states holds each state whole: no prefetch slot.
    const int32_t largest = host != nullptr ? host->capacity() : p;
    device_buffer = std::make_unique<PartitionBuffer>(*below, std::min(tiers_.device_capacity, p),
                                                      config_.prefetch && tiers_.device_capacity < largest,
                                                      tiers_.device);
  }

  if (tiers_.grants != nullptr) {
    if (host == nullptr || device || pages != nullptr || node_examples) {
      fail(MARIUS_ERR_INTERNAL, "bucket grants need the host buffer alone");
    }
    BucketGrants& grants = *tiers_.grants;
    // Batch numbers (which seed each batch's draws) as one process numbers
    // them: state s's first is the count of batches of the states before it.
    std::vector<int64_t> first_batches(plan.states.size() + 1, 0);
    for (size_t t = 0; t < plan.states.size(); ++t) {
      int64_t edges = 0;
      for (auto [i, j] : plan.states[t].buckets) {
        const int64_t b = static_cast<int64_t>(i) * p + j;
        edges += buckets[b + 1] - buckets[b];
      }
      first_batches[t + 1] = first_batches[t] + (edges + config_.batch_size - 1) / config_.batch_size;
    }
    try {
      grants.start_epoch(epoch, plan);
      r.states = 0;
      while (const std::optional<size_t> s = grants.next()) {
        Plan one;  // the granted state alone
        one.num_partitions = p;
        one.buffer_capacity = host->capacity();
        one.states.push_back(plan.states.at(*s));
        index = *s;  // randomness as the state's in one process
        first_batch = first_batches[*s];
        host->start_epoch(one);
        train_state(one.states[0], slab_of(*host), host->acquire(0), nullptr);
        host->release(0);
        add(r.io, host->finish_epoch());  // its partitions are back in the files
        ++r.states;
        grants.finished();
      }
      grants.finish_epoch();
    } catch (const std::exception& e) {
      host->abort();
      grants.abandon(e.what());
      throw;
    }
    return r;
  }
  if (host != nullptr) host->start_epoch(plan);
  // Row ids order each adjacency row and so what the sampler draws: slots must
  // be a function of the epoch's plan alone (as the partition buffer's are), not
  // of what the pages kept from the epoch before, for resume to reproduce a run.
  if (pages != nullptr) pages->clear();
  try {
    for (size_t s = 0; s < plan.states.size(); ++s) {
      const BufferState& state = plan.states[s];
      const std::vector<int32_t> slot = host != nullptr ? host->acquire(s)
                                        : pages != nullptr ? pages->assign(state.partitions)
                                                           : std::vector<int32_t>();
      if (!device) {
        const BufferState* next = host == nullptr ? next_trained(s) : nullptr;
        train_state(state, host != nullptr ? slab_of(*host) : Slab{at::Tensor(), at::Tensor(), pages->slots(), pages->slot_rows()},
                    slot, next);
      } else if (!sub[s].states.empty()) {
        std::vector<int64_t> first_rows(static_cast<size_t>(p), -1);
        for (int32_t k : state.partitions) first_rows[k] = host != nullptr ? slot[k] * host->slot_rows() : offsets[k];
        below->place(std::move(first_rows));
        device_buffer->start_epoch(sub[s]);
        for (size_t t = 0; t < sub[s].states.size(); ++t) {
          train_state(sub[s].states[t], slab_of(*device_buffer), device_buffer->acquire(t), nullptr);
          device_buffer->release(t);
        }
        add(r.device_io, device_buffer->finish_epoch());  // every partition is back in the host tables
        r.device_states += static_cast<int64_t>(sub[s].states.size());
      }
      if (host != nullptr) host->release(s);
    }
    if (host != nullptr) r.io = host->finish_epoch();
    if (pages != nullptr) r.feature_io = pages->take_stats();
  } catch (...) {
    if (pages != nullptr) pages->abort();
    if (device_buffer) device_buffer->abort();
    if (host != nullptr) host->abort();
    throw;
  }
  return r;
}

}  // namespace marius
