// The partition store keeps a committed generation intact until the next
// commit, and the partition buffer follows an ordering plan: every state's
// partitions resident at acquire, every partition written back by the end of
// the epoch, reads equal to (c + swaps) partitions, errors surfaced.
#include <chrono>
#include <thread>

#include <ATen/ATen.h>

#include "core/plugin/manifest.h"
#include "core/plugin/ordering_policy.h"
#include "core/plugin/storage_backend.h"
#include "core/run/progress.h"
#include "core/storage/partition_buffer.h"
#include "core/storage/table_source.h"
#include "core/storage/partition_store.h"
#include "core/plugin/score_function.h"
#include "core/tasks/link_prediction/evaluator.h"
#include "core/model/node_rows.h"
#include "test_util.h"

namespace marius {
namespace {

using testing::builtin_manifest;
using testing::expect_error;
using testing::TempDir;

std::shared_ptr<const LoadedPlugin> plugin(const std::string& name) {
  return LoadedPlugin::load(load_manifest(builtin_manifest(name)));
}

// Offsets of p partitions over n nodes (floor(k n / p)).
std::vector<int64_t> offsets(int64_t n, int32_t p) {
  std::vector<int64_t> o;
  for (int32_t k = 0; k <= p; ++k) o.push_back(k * n / p);
  return o;
}

// Writes partition k filled with `value` (embeddings) and -value (state).
void fill(PartitionStore& store, int32_t k, float value) {
  std::vector<float> e(static_cast<size_t>(store.rows(k) * store.dim()), value), s(e.size(), -value);
  store.write(k, e.data(), s.data());
}

float first_value(PartitionStore& store, int32_t k) {
  std::vector<float> e(static_cast<size_t>(store.rows(k) * store.dim())), s(e.size());
  store.read(k, e.data(), s.data());
  return e[0];
}

// Two workers' stores over the same files (distributed link prediction): what
// one wrote, the other reads from the working generation once noted, checked
// against the writer's CRC; rank 0 commits every partition from the notes and
// the other adopts the generation.
TEST(PartitionStore, WorkersShareFilesThroughNotesCommitAndAdopt) {
  TempDir dir;
  StorageBackend backend(plugin("posix"), {});
  PartitionStore zero(backend, dir.path(), offsets(40, 2), 2, /*create=*/true);
  fill(zero, 0, 1.0f);
  fill(zero, 1, 2.0f);
  zero.commit();
  PartitionStore one(backend, dir.path(), offsets(40, 2), 2, /*create=*/false);
  one.adopt(zero.generation(), zero.crcs());
  EXPECT_EQ(first_value(one, 1), 2.0f);
  // An epoch: rank 1 trains partition 1, rank 0 partition 0.
  fill(one, 1, 5.0f);
  one.flush();
  fill(zero, 0, 4.0f);
  EXPECT_EQ(first_value(zero, 1), 2.0f);  // not noted yet: the committed version
  zero.note_written(1, one.working_crc(1));
  EXPECT_EQ(first_value(zero, 1), 5.0f);
  zero.commit();
  one.adopt(zero.generation(), zero.crcs());
  EXPECT_EQ(first_value(one, 0), 4.0f);
  // A stale copy (here: a CRC that does not match what the file holds) is an error naming the partition.
  fill(one, 1, 6.0f);
  zero.note_written(1, one.working_crc(1) ^ 1u);
  expect_error([&] { first_value(zero, 1); }, MARIUS_ERR_IO, {"partition 1 as read here", "stale"});
}

TEST(PartitionStore, CommitKeepsTheOldGenerationUntilTheNext) {
  TempDir dir;
  StorageBackend backend(plugin("posix"), {});
  PartitionStore store(backend, dir.path(), offsets(100, 4), 3, /*create=*/true);
  for (int32_t k = 0; k < 4; ++k) fill(store, k, 1.0f + k);
  store.commit();
  const int32_t g = store.generation();
  const std::vector<uint32_t> crcs = store.crcs();
  // A partial epoch: partition 2 rewritten, no commit.
  fill(store, 2, 99.0f);
  EXPECT_EQ(first_value(store, 2), 99.0f);  // reads see the latest version
  // A crash now: reopening restores the committed generation intact.
  PartitionStore reopened(backend, dir.path(), offsets(100, 4), 3, /*create=*/false);
  reopened.restore(g, crcs);
  EXPECT_EQ(first_value(reopened, 2), 3.0f);
  expect_error([&] { store.commit(); }, MARIUS_ERR_INTERNAL, {"partition 0 not written"});
}

TEST(PartitionStore, RestoreDetectsCorruption) {
  TempDir dir;
  StorageBackend backend(plugin("posix"), {});
  std::vector<uint32_t> crcs;
  int32_t g;
  {
    PartitionStore store(backend, dir.path(), offsets(50, 2), 4, true);
    fill(store, 0, 1.0f);
    fill(store, 1, 2.0f);
    store.commit();
    g = store.generation();
    crcs = store.crcs();
  }
  {  // flip one byte of partition 1
    auto f = backend.open((dir.path() / ("nodes." + std::to_string(g) + ".bin")).string(), MARIUS_OPEN_READ | MARIUS_OPEN_WRITE);
    uint8_t byte = 7;
    f->write(25 * 8 * 4 + 10, &byte, 1);
  }
  PartitionStore store(backend, dir.path(), offsets(50, 2), 4, false);
  expect_error([&] { store.restore(g, crcs); }, MARIUS_ERR_INVALID_ARGUMENT, {"partition 1 fails its checksum", "nodes."});
}

struct BufferCase {
  int32_t p, c;
  bool prefetch;
};

class PartitionBufferPlan : public ::testing::TestWithParam<BufferCase> {};

TEST_P(PartitionBufferPlan, FollowsThePlan) {
  const auto [p, c, prefetch] = GetParam();
  TempDir dir;
  StorageBackend backend(plugin("posix"), {});
  OrderingPolicy ordering(plugin("sequential"), {});
  PartitionStore store(backend, dir.path(), offsets(10 * p + 3, p), 2, true);
  for (int32_t k = 0; k < p; ++k) fill(store, k, 0.0f);
  store.commit();
  PartitionBuffer buffer(store, c, prefetch);
  CallContext ctx("test");
  for (int epoch = 0; epoch < 2; ++epoch) {
    Plan plan = ordering.plan(ctx, p, c);
    buffer.start_epoch(plan);
    for (size_t s = 0; s < plan.states.size(); ++s) {
      std::vector<int32_t> slot = buffer.acquire(s);
      for (int32_t k : plan.states[s].partitions) {
        ASSERT_GE(slot[k], 0);
        // Every row of the partition counts the states it was resident in.
        buffer.embeddings().narrow(0, slot[k] * buffer.slot_rows(), store.rows(k)).add_(1.0f);
      }
      buffer.release(s);
    }
    BufferStats stats = buffer.finish_epoch();
    EXPECT_EQ(stats.swaps, plan.swaps());
    uint64_t partition_bytes = store.partition_bytes(0);
    // Equal partitions except the rounding of offsets: compare counts.
    EXPECT_EQ(stats.partitions_read, static_cast<int64_t>(plan.states[0].partitions.size()) + plan.swaps());
    EXPECT_EQ(stats.partitions_written, stats.partitions_read);
    EXPECT_GE(stats.bytes_read, partition_bytes);
    store.commit();
    std::vector<int64_t> resident(static_cast<size_t>(p), 0);
    for (const BufferState& state : plan.states)
      for (int32_t k : state.partitions) resident[k] += 1;
    for (int32_t k = 0; k < p; ++k) EXPECT_EQ(first_value(store, k), static_cast<float>((epoch + 1) * resident[k]));
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, PartitionBufferPlan,
                         ::testing::Values(BufferCase{4, 2, true}, BufferCase{4, 2, false}, BufferCase{8, 4, true},
                                           BufferCase{8, 3, false}, BufferCase{5, 5, true}));

// A table source whose write-backs take `delay_ms[k]` for partition k, so
// write-backs finish in an order the test chooses.
class SlowWrites : public TableSource {
 public:
  SlowWrites(at::Tensor e, at::Tensor s, std::vector<int64_t> rows, std::vector<int> delay_ms)
      : TableSource(std::move(e), std::move(s), std::move(rows)), delay_ms_(std::move(delay_ms)) {}
  void write_from(int32_t k, const at::Tensor& embeddings, const at::Tensor& state) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_[static_cast<size_t>(k)]));
    TableSource::write_from(k, embeddings, state);
  }

 private:
  std::vector<int> delay_ms_;
};

// The slot each partition gets is a function of the plan, not of the order in
// which write-backs finish (a GNN's adjacency rows follow the slots, so resume
// reproduces a run only if they do).
TEST(PartitionBuffer, SlotsFollowThePlanWhateverTheWriteBackTiming) {
  const int32_t p = 6, c = 3;
  OrderingPolicy ordering(plugin("beta"), {});
  CallContext ctx("test");
  const Plan plan = ordering.plan(ctx, p, c);
  std::vector<std::vector<int32_t>> first;
  for (const std::vector<int>& delays : {std::vector<int>{0, 0, 0, 0, 0, 0}, std::vector<int>{30, 0, 20, 0, 10, 0},
                                         std::vector<int>{0, 25, 0, 15, 0, 30}}) {
    at::Tensor e = at::zeros({p * 4, 2}), st = at::zeros({p * 4, 2});
    SlowWrites source(e, st, std::vector<int64_t>(p, 4), delays);
    std::vector<int64_t> first_rows;
    for (int32_t k = 0; k < p; ++k) first_rows.push_back(4 * k);
    source.place(first_rows);
    PartitionBuffer buffer(source, c, /*prefetch=*/true);
    buffer.start_epoch(plan);
    std::vector<std::vector<int32_t>> slots;
    for (size_t s = 0; s < plan.states.size(); ++s) {
      slots.push_back(buffer.acquire(s));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the reader prefetches meanwhile
      buffer.release(s);
    }
    buffer.finish_epoch();
    if (first.empty()) first = slots;
    EXPECT_EQ(slots, first);
  }
}

TEST(PartitionBuffer, IoErrorsSurface) {
  TempDir dir;
  StorageBackend backend(plugin("posix"), {});
  OrderingPolicy ordering(plugin("sequential"), {});
  auto store = std::make_unique<PartitionStore>(backend, dir.path(), offsets(40, 4), 2, true);
  for (int32_t k = 0; k < 4; ++k) fill(*store, k, 0.0f);
  store->commit();
  // Truncate the committed file: the reader thread fails and acquire reports it.
  std::filesystem::resize_file(store->file(store->generation()), 100);
  PartitionBuffer buffer(*store, 2, true);
  CallContext ctx("test");
  Plan plan = ordering.plan(ctx, 4, 2);
  buffer.start_epoch(plan);
  expect_error([&] { buffer.acquire(0); }, MARIUS_ERR_OUT_OF_RANGE, {"nodes."});
  buffer.abort();
}

}  // namespace
}  // namespace marius

namespace marius {
namespace {

// Evaluation out of core (partition by partition) ranks exactly as in memory.
TEST(NodeRows, EvaluationByPartitionMatchesInMemory) {
  TempDir dir;
  const int64_t n = 300, d = 8, relations = 3;
  at::manual_seed(7);
  Model model;
  model.num_nodes = n;
  model.dim = d;
  model.num_relations = relations;
  model.relation_width = d;
  model.inverse_relations = true;
  model.relations = at::randn({2 * relations, d});
  at::Tensor table = at::randn({n, d});
  StorageBackend backend(plugin("posix"), {});
  PartitionStore store(backend, dir.path(), offsets(n, 3), d, true);
  for (int32_t k = 0; k < 3; ++k) {
    at::Tensor rows = table.narrow(0, store.offsets()[k], store.rows(k)).contiguous();
    at::Tensor state = at::zeros_like(rows);
    store.write(k, rows.data_ptr<float>(), state.data_ptr<float>());
  }
  store.commit();
  at::Tensor edges = at::stack({at::randint(n, {200}), at::randint(relations, {200}), at::randint(n, {200})}, 1);
  Evaluator evaluator(edges, at::ones({n}, at::kLong), relations);
  ScoreFunction score(plugin("distmult"), {});
  NodeRows memory(table), partitioned(store);
  at::Tensor test = edges.slice(0, 0, 50);
  RankMetrics a = evaluator.filtered(model, memory, score, test, 16);
  RankMetrics b = evaluator.filtered(model, partitioned, score, test, 16);
  EXPECT_EQ(a.rankings, 100);
  EXPECT_NEAR(a.mrr, b.mrr, 1e-9);
  EXPECT_NEAR(a.mr, b.mr, 1e-9);
  EXPECT_NEAR(a.hits10, b.hits10, 1e-12);
  RankMetrics c = evaluator.sampled(model, memory, score, test, 40, 16, 3);
  RankMetrics e = evaluator.sampled(model, partitioned, score, test, 40, 16, 3);
  EXPECT_NEAR(c.mrr, e.mrr, 1e-12);
  // Progress counts every ranking (per block of node rows, filtered), ending at the total it announces.
  for (const NodeRows* rows : {&memory, &partitioned}) {
    for (bool filtered : {true, false}) {
      const int64_t total = Evaluator::progress_units(*rows, test, filtered);
      EXPECT_EQ(total, 100 * (filtered && rows == &partitioned ? 3 : 1));
      Progress progress("test", total, nullptr, "rankings", false);
      int64_t calls = 0;
      progress.set_observer([&](int64_t, int64_t, double) { ++calls; });
      filtered ? evaluator.filtered(model, *rows, score, test, 16, &progress)
               : evaluator.sampled(model, *rows, score, test, 40, 16, 3, &progress);
      EXPECT_EQ(progress.done(), total);
      EXPECT_GT(calls, 3);  // advanced block by block, not once at the end
    }
  }
  at::Tensor ids = at::tensor({299, 0, 150, 99, 100}, at::kLong);
  EXPECT_TRUE(at::equal(partitioned.gather(ids), table.index_select(0, ids)));
}

}  // namespace
}  // namespace marius
