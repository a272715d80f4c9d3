// Pipeline: every admitted batch passes each stage exactly once, at most k
// batches are in flight, the first stage error stops everything and surfaces
// from run(), cancellation drains what is in flight, sync mode is sequential
// on the caller's thread. Stages here are synthetic (random short delays);
// tests/pipeline_train_test.cpp drives the real trainer.
#include "core/pipeline/pipeline.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/run/interrupt.h"
#include "test_util.h"

namespace marius {
namespace {

using marius::testing::expect_error;

// Stages that record what happened to each batch.
struct Recorder {
  explicit Recorder(int64_t staleness, uint64_t seed, int max_delay_us = 200)
      : k(staleness), rng(seed), max_delay_us(max_delay_us) {}

  struct Item : Pipeline::Batch {
    int64_t segment = 0;
    int64_t value = 0;  // "the gradient": computed by compute, applied by update
  };

  Pipeline::Stages stages() {
    Pipeline::Stages s;
    s.load = [this](int64_t index, uint32_t) -> std::unique_ptr<Pipeline::Batch> {
      const int64_t now = ++in_flight;  // admitted, not yet updated
      int64_t seen = max_in_flight.load();
      while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
      }
      delay();
      maybe_throw("load", index);
      auto item = std::make_unique<Item>();
      item->segment = segment;
      ++loaded;
      return item;
    };
    s.compute = [this](Pipeline::Batch& b, uint32_t) {
      delay();
      maybe_throw("compute", b.index);
      static_cast<Item&>(b).value = b.index + 1;
      ++computed;
    };
    s.update = [this](Pipeline::Batch& b, uint32_t) {
      delay();
      maybe_throw("update", b.index);
      auto& item = static_cast<Item&>(b);
      std::lock_guard<std::mutex> lock(mutex);
      applied[{item.segment, b.index}] += 1;
      applied_sum += item.value;
      --in_flight;
    };
    return s;
  }

  void delay() {
    int us;
    {
      std::lock_guard<std::mutex> lock(mutex);
      us = std::uniform_int_distribution<int>(0, max_delay_us)(rng);
    }
    if (us > 0) std::this_thread::sleep_for(std::chrono::microseconds(us));  // simulated work
  }
  void maybe_throw(const char* stage, int64_t index) {
    if (throw_stage == stage && index == throw_at) {
      throw std::runtime_error(fmt::format("boom in {} at batch {}", stage, index));
    }
  }

  int64_t k;
  std::mt19937_64 rng;
  int max_delay_us;
  std::mutex mutex;
  std::atomic<int64_t> in_flight{0}, max_in_flight{0}, loaded{0}, computed{0};
  int64_t segment = 0;
  std::map<std::pair<int64_t, int64_t>, int> applied;
  int64_t applied_sum = 0;
  std::string throw_stage;
  int64_t throw_at = -1;
};

PipelineOptions pipelined(int64_t k, int64_t load, int64_t compute, int64_t update, int64_t queue) {
  PipelineOptions o;
  o.mode = PipelineMode::kPipelined;
  o.staleness = k;
  o.load_workers = load;
  o.compute_workers = compute;
  o.update_workers = update;
  o.queue_size = queue;
  return o;
}

TEST(Pipeline, EveryBatchIsAppliedExactlyOnceAndAtMostKAreInFlight) {
  std::mt19937 pick(7);
  for (int64_t k = 1; k <= 16; ++k) {
    SCOPED_TRACE("staleness " + std::to_string(k));
    // 0 load or update workers: the compute workers run that stage themselves.
    const int64_t load = pick() % 3, compute = 1 + pick() % 3, update = pick() % 3, queue = 1 + pick() % 3;
    Recorder r(k, 100 + k);
    {
      const Pipeline::Stages stages = r.stages();
      Pipeline pipeline(pipelined(k, load, compute, update, queue));
      const int64_t sizes[] = {37, 1, 0, 64};
      int64_t expected_sum = 0;
      for (int64_t n : sizes) {
        pipeline.run(n, stages);
        // run() returns only after every batch of the segment was applied.
        for (int64_t b = 0; b < n; ++b) EXPECT_EQ((r.applied[{r.segment, b}]), 1) << "batch " << b;
        expected_sum += n * (n + 1) / 2;
        ++r.segment;
      }
      EXPECT_EQ(r.applied_sum, expected_sum);
      EXPECT_EQ(r.applied.size(), 37u + 1u + 64u);
      EXPECT_LE(r.max_in_flight.load(), k);
      PipelineStats s = pipeline.stats();
      EXPECT_EQ(s.admitted, 102);
      EXPECT_LE(s.in_flight_max, k);
      EXPECT_EQ(s.load.batches, 102);
      EXPECT_EQ(s.compute.batches, 102);
      EXPECT_EQ(s.update.batches, 102);
      EXPECT_EQ(s.compute.workers, compute);
      EXPECT_LE(s.load_to_compute.max_depth, queue);
      EXPECT_LE(s.compute_to_update.max_depth, queue);
      EXPECT_GT(s.active_seconds, 0);
    }
    EXPECT_EQ(r.in_flight.load(), 0);
  }
}

TEST(Pipeline, SyncRunsEachBatchThroughEveryStageOnTheCallersThread) {
  PipelineOptions o;
  o.mode = PipelineMode::kSync;
  std::vector<std::string> trace;
  const auto caller = std::this_thread::get_id();
  Pipeline::Stages s;
  s.load = [&](int64_t index, uint32_t w) -> std::unique_ptr<Pipeline::Batch> {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(w, 0u);
    trace.push_back("L" + std::to_string(index));
    return std::make_unique<Pipeline::Batch>();
  };
  s.compute = [&](Pipeline::Batch& b, uint32_t) { trace.push_back("C" + std::to_string(b.index)); };
  s.update = [&](Pipeline::Batch& b, uint32_t) { trace.push_back("U" + std::to_string(b.index)); };
  const Pipeline::Stages stages = s;
  Pipeline pipeline(o);
  pipeline.run(3, stages);
  EXPECT_EQ(trace, (std::vector<std::string>{"L0", "C0", "U0", "L1", "C1", "U1", "L2", "C2", "U2"}));
  PipelineStats stats = pipeline.stats();
  EXPECT_EQ(stats.staleness, 1);
  EXPECT_EQ(stats.update.batches, 3);
  EXPECT_NE(stats.json().dump().find("\"mode\":\"sync\""), std::string::npos);
}

TEST(Pipeline, WithStalenessOneBatchesDoNotOverlap) {
  std::vector<std::string> trace;
  std::mutex m;
  Pipeline::Stages s;
  auto note = [&](std::string what) {
    std::lock_guard<std::mutex> lock(m);
    trace.push_back(std::move(what));
  };
  s.load = [&](int64_t index, uint32_t) -> std::unique_ptr<Pipeline::Batch> {
    note("L" + std::to_string(index));
    return std::make_unique<Pipeline::Batch>();
  };
  s.compute = [&](Pipeline::Batch& b, uint32_t) { note("C" + std::to_string(b.index)); };
  s.update = [&](Pipeline::Batch& b, uint32_t) { note("U" + std::to_string(b.index)); };
  const Pipeline::Stages stages = s;
  Pipeline pipeline(pipelined(1, 2, 3, 2, 2));
  pipeline.run(20, stages);
  ASSERT_EQ(trace.size(), 60u);
  for (int b = 0; b < 20; ++b) {
    EXPECT_EQ(trace[3 * b], "L" + std::to_string(b));
    EXPECT_EQ(trace[3 * b + 1], "C" + std::to_string(b));
    EXPECT_EQ(trace[3 * b + 2], "U" + std::to_string(b));
  }
}

TEST(Pipeline, AnErrorInAnyStageStopsEveryStageAndSurfacesFromRun) {
  std::mt19937 pick(11);
  for (const char* stage : {"load", "compute", "update"}) {
    for (int64_t k : {1, 2, 5, 16}) {
      for (int trial = 0; trial < 3; ++trial) {
        const int64_t at = pick() % 50;
        SCOPED_TRACE(fmt::format("{} k={} at={}", stage, k, at));
        Recorder r(k, pick(), 100);
        r.throw_stage = stage;
        r.throw_at = at;
        const Pipeline::Stages stages = r.stages();
        Pipeline pipeline(pipelined(k, pick() % 3, 1 + pick() % 3, pick() % 3, 1 + pick() % 2));
        try {
          pipeline.run(50, stages);
          FAIL() << "run() returned";
        } catch (const std::runtime_error& e) {
          EXPECT_EQ(std::string(e.what()), fmt::format("boom in {} at batch {}", stage, at));
        }
        // No batch was applied twice, and the failed one was not applied.
        for (auto& [key, count] : r.applied) EXPECT_EQ(count, 1);
        EXPECT_EQ((r.applied.count({0, at})), 0u);
        EXPECT_LE(r.max_in_flight.load(), k);
        // The pipeline stays stopped.
        EXPECT_THROW(pipeline.run(1, stages), std::runtime_error);
      }  // the destructor joins every thread (the test would hang otherwise)
    }
  }
}

TEST(Pipeline, AnErrorInSyncModeSurfacesAndStops) {
  PipelineOptions o;
  o.mode = PipelineMode::kSync;
  Recorder r(1, 3, 0);
  r.throw_stage = "compute";
  r.throw_at = 4;
  const Pipeline::Stages stages = r.stages();
  Pipeline pipeline(o);
  EXPECT_THROW(pipeline.run(10, stages), std::runtime_error);
  EXPECT_EQ(r.applied.size(), 4u);
  EXPECT_THROW(pipeline.run(1, stages), std::runtime_error);
}

TEST(Pipeline, AnInterruptDrainsTheBatchesInFlightAndCancels) {
  for (PipelineMode mode : {PipelineMode::kPipelined, PipelineMode::kSync}) {
    Recorder r(4, 5, 50);
    Pipeline::Stages s = r.stages();
    auto load = s.load;
    s.load = [load](int64_t index, uint32_t w) {
      if (index == 10) request_interrupt();
      return load(index, w);
    };
    PipelineOptions o = pipelined(4, 1, 2, 1, 2);
    o.mode = mode;
    const Pipeline::Stages stages = s;
    Pipeline pipeline(o);
    expect_error([&] { pipeline.run(100, stages); }, MARIUS_ERR_CANCELLED, {"interrupted"});
    clear_interrupt();
    // Every admitted batch was applied once; admission stopped soon after batch 10.
    EXPECT_EQ(r.loaded.load(), static_cast<int64_t>(r.applied.size()));
    EXPECT_GE(r.applied.size(), 11u);
    EXPECT_LE(r.applied.size(), 15u);
    for (auto& [key, count] : r.applied) EXPECT_EQ(count, 1);
    EXPECT_EQ(r.in_flight.load(), 0);
  }
}

TEST(Pipeline, RejectsBadOptionsNamingTheKey) {
  expect_error([&] { Pipeline p(pipelined(0, 1, 1, 1, 1)); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"pipeline.staleness = 0"});
  expect_error([&] { Pipeline p(pipelined(2, 1, 0, 1, 1)); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"pipeline.compute_workers = 0"});
  expect_error([&] { Pipeline p(pipelined(2, 1, 1, 1, 0)); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"pipeline.queue_size = 0"});
  expect_error([&] { Pipeline p(pipelined(2, -1, 1, 1, 1)); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"pipeline.load_workers = -1: expected a value >= 0"});
}

TEST(Pipeline, MonitorReportsEveryStageAndQueue) {
  Recorder r(3, 9, 100);
  const Pipeline::Stages stages = r.stages();
  Pipeline pipeline(pipelined(3, 1, 2, 1, 2));
  pipeline.run(30, stages);
  PipelineStats s = pipeline.stats();
  std::string json = s.json().dump();
  for (const char* key : {"\"mode\":\"pipelined\"", "\"staleness\":3", "\"load\":", "\"compute\":", "\"update\":",
                          "\"load_to_compute\":", "\"compute_to_update\":", "\"busy\":", "\"in_flight_mean\":"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
  }
  for (const StageStats* stage : {&s.load, &s.compute, &s.update}) {
    EXPECT_GE(stage->busy_fraction, 0.0);
    EXPECT_LE(stage->busy_fraction, 1.0);
    EXPECT_NEAR(stage->busy_seconds + stage->idle_seconds, stage->workers * s.active_seconds, 1e-6);
  }
  EXPECT_GE(s.in_flight_mean, 1.0);
  EXPECT_LE(s.in_flight_mean, 3.0);
  EXPECT_NE(s.summary().find("pipelined k=3"), std::string::npos);
}

}  // namespace
}  // namespace marius
