// The real trainer through its pipeline: a counting optimizer proves that
// every node gradient the compute stage produces is applied exactly once, for
// staleness 1..16, in memory and out of core behind a slow storage backend;
// a stage that fails at a chosen batch stops the epoch with its error; sync
// mode with one thread is bit-for-bit reproducible.
#include <atomic>
#include <mutex>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/run/session.h"
#include "train_fixture.h"

namespace marius {
namespace {

using marius::testing::CountingOptimizer;

class PipelineTrain : public testing::TrainFixture {};

void expect_each_batch_once(const CountingOptimizer& counting, const EpochResult& r, int64_t batches) {
  ASSERT_EQ(static_cast<int64_t>(counting.applied.size()), batches);
  for (int64_t b = 0; b < batches; ++b) EXPECT_EQ(counting.applied[b], 1) << "batch " << b;
  EXPECT_EQ(counting.rows, r.gradient_rows);  // every computed gradient row, applied once
  EXPECT_GT(r.gradient_rows, 0);
  EXPECT_EQ(r.pipeline.compute.batches, batches);
  EXPECT_EQ(r.pipeline.update.batches, batches);
}

TEST_F(PipelineTrain, EveryComputedGradientIsAppliedExactlyOnceForEveryStaleness) {
  for (int k = 1; k <= 16; ++k) {
    SCOPED_TRACE("staleness " + std::to_string(k));
    Session session(config(1, {"pipeline.staleness=" + std::to_string(k), "pipeline.compute_workers=" +
                                   std::to_string(1 + k % 3), "pipeline.update_workers=" + std::to_string(k % 3),
                               "pipeline.load_workers=" + std::to_string((k / 3) % 2),
                               "pipeline.queue_size=" + std::to_string(1 + k % 4)}),
                    {});
    session.initialize(false);
    CountingOptimizer counting;
    session.replace_node_optimizer(counting.hook());
    EpochResult r = session.train_epoch(nullptr);
    const int64_t batches = (session.dataset().info().num_edges[0] + 99) / 100;
    expect_each_batch_once(counting, r, batches);
    EXPECT_LE(r.pipeline.in_flight_max, k);
  }
}

TEST_F(PipelineTrain, OutOfCoreBehindASlowBackendAppliesEveryGradientOnce) {
  for (int k : {1, 3, 16}) {
    SCOPED_TRACE("staleness " + std::to_string(k));
    Session session(config(4, {"pipeline.staleness=" + std::to_string(k), "storage.buffer_capacity=2",
                               "storage.backend=fault", "storage.backend_options.read_delay_ms=30",
                               "storage.backend_options.write_delay_ms=30"}),
                    {});
    session.initialize(false);
    CountingOptimizer counting;
    session.replace_node_optimizer(counting.hook());
    EpochResult r = session.train_epoch(nullptr);
    ASSERT_TRUE(r.out_of_core);
    // Batches are numbered across the buffer states; each is applied once.
    ASSERT_FALSE(counting.applied.empty());
    for (size_t b = 0; b < counting.applied.size(); ++b) EXPECT_EQ(counting.applied[b], 1) << "batch " << b;
    EXPECT_EQ(counting.rows, r.gradient_rows);
    EXPECT_EQ(r.pipeline.update.batches, static_cast<int64_t>(counting.applied.size()));
    EXPECT_EQ(r.edges, session.dataset().info().num_edges[0]);
    EXPECT_GT(r.io.swaps, 0);
  }
}

TEST_F(PipelineTrain, AFailingUpdateStopsTheEpochWithItsError) {
  for (int k : {1, 4, 16}) {
    Session session(config(1, {"pipeline.staleness=" + std::to_string(k)}), {});
    session.initialize(false);
    CountingOptimizer counting;
    counting.throw_at = 37;
    session.replace_node_optimizer(counting.hook());
    testing::expect_error([&] { session.train_epoch(nullptr); }, MARIUS_ERR_INTERNAL, {"refused batch 37"});
    for (int n : counting.applied) EXPECT_LE(n, 1);
    EXPECT_EQ(session.epochs_done(), 0);
  }
}

TEST_F(PipelineTrain, AFailingScoreFunctionStopsTheEpochWithItsError) {
  for (const char* mode : {"pipelined", "sync"}) {
    for (int k : {1, 4, 16}) {
      SCOPED_TRACE(std::string(mode) + " k=" + std::to_string(k));
      // Forward is called twice per batch (positives, negatives): batch 23 fails.
      Session session(config(1, {std::string("pipeline.mode=") + mode, "pipeline.staleness=" + std::to_string(k),
                                 "model.score=" + testing::plugin_manifest("throwing"),
                                 "model.score_options.throw_in=\"forward\"", "model.score_options.after_calls=46"}),
                      {});
      session.initialize(false);
      CountingOptimizer counting;
      session.replace_node_optimizer(counting.hook());
      testing::expect_error([&] { session.train_epoch(nullptr); }, MARIUS_ERR_INTERNAL, {"boom from forward, call 47"});
      for (int n : counting.applied) EXPECT_LE(n, 1);
      EXPECT_LE(counting.applied.size(), 23u + k);
    }
  }
}

TEST_F(PipelineTrain, SyncWithOneThreadIsBitForBitReproducible) {
  at::Tensor first;
  for (int run = 0; run < 2; ++run) {
    Session session(config(1, {"pipeline.mode=sync", "training.threads=1"}), {});
    session.initialize(false);
    session.train_epoch(nullptr);
    session.train_epoch(nullptr);
    at::Tensor e = session.model().embeddings.clone();
    if (run == 0) {
      first = e;
    } else {
      EXPECT_TRUE(at::equal(first, e));
    }
  }
}

TEST_F(PipelineTrain, PipelinedTrainingLearns) {
  // Not a speed test: the pipelined model must fit the planted structure as the sync one does.
  Session sync(config(1, {"pipeline.mode=sync", "training.epochs=5", "evaluation.protocol=filtered"}), {});
  Session piped(config(1, {"pipeline.staleness=8", "training.epochs=5", "evaluation.protocol=filtered"}), {});
  double mrr[2];
  int i = 0;
  for (Session* s : {&sync, &piped}) {
    s->initialize(false);
    for (int e = 0; e < 5; ++e) s->train_epoch(nullptr);
    mrr[i++] = s->evaluate(Split::kTest).mrr;
  }
  EXPECT_GT(mrr[0], 0.03) << "sync";  // chance is about 0.007
  EXPECT_GT(mrr[1], 0.8 * mrr[0]) << "pipelined " << mrr[1] << " vs sync " << mrr[0];
}

}  // namespace
}  // namespace marius
