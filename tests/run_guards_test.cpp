// The training run's guards: nothing it reports or saves can be wrong.
// Configuration values that are not finite or do not fit their type are
// refused by key; evaluation never ranks a non-finite score first; a loss,
// score, gradient or parameter that becomes NaN or infinite stops training
// with an error naming the epoch, the batch and the culprit, and the last
// good checkpoint stays; a trained checkpoint is not replaced by a fresh run
// without overwrite; a run that cannot fit in memory is refused by key before
// anything is allocated; threads beyond the hardware are capped.
#include <filesystem>
#include <thread>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/run/memory_budget.h"
#include "core/run/session.h"
#include "core/persist/checkpoint.h"
#include "train_fixture.h"

namespace marius {
namespace {

using testing::expect_error;

class RunGuards : public testing::TrainFixture {};

TEST(ConfigGuards, FloatsMustBeFiniteAndSizesMustFitTheirType) {
  for (const char* set : {"optimizer.learning_rate=nan", "optimizer.learning_rate=inf", "model.init_scale=nan",
                          "training.margin=-inf", "optimizer.relation_learning_rate=nan"}) {
    const std::string key = std::string(set).substr(0, std::string(set).find('='));
    expect_error([&] { Config::parse("", "test", {set}); }, MARIUS_ERR_INVALID_ARGUMENT,
                 {key, "must be a finite number"});
  }
  expect_error([] { Config::parse("[optimizer]\nlearning_rate = nan\n", "c.toml", {}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"config c.toml:2", "optimizer.learning_rate must be a finite number, got nan"});
  for (const char* set : {"model.dim=2147483648", "training.batch_size=9999999999999", "negatives.per_chunk=3000000000",
                          "storage.generations=3", "storage.partitions=100000"}) {
    const std::string key = std::string(set).substr(0, std::string(set).find('='));
    expect_error([&] { Config::parse("", "test", {set}); }, MARIUS_ERR_INVALID_ARGUMENT, {key, "must be at most"});
  }
  EXPECT_EQ(Config::parse("", "test", {"training.loss=ranking"}).loss, LossKind::kRanking);
  EXPECT_EQ(Config::parse("", "test", {"pipeline.mode=sync"}).pipeline_mode, PipelineMode::kSync);
  EXPECT_NE(Config::parse("", "test", {"evaluation.protocol=sampled"}).to_toml().find("protocol = \"sampled\""),
            std::string::npos);
}

TEST_F(RunGuards, EvaluationRanksANonFiniteScoreLastNeverFirst) {
  Session session(config(1, {"evaluation.protocol=filtered"}), {});
  session.initialize(false);
  session.model().embeddings.fill_(std::nanf(""));
  RankMetrics m = session.evaluate(Split::kTest);
  EXPECT_GT(m.rankings, 0);
  EXPECT_LE(m.mrr, 2.0 / static_cast<double>(session.model().num_nodes));  // every rank is the last
  EXPECT_EQ(m.hits10, 0.0);
  // Sampled evaluation too.
  Session sampled(config(1, {"evaluation.protocol=sampled", "evaluation.negatives=50"}), {});
  sampled.initialize(false);
  sampled.model().embeddings.fill_(std::numeric_limits<float>::infinity());
  EXPECT_EQ(sampled.evaluate(Split::kTest).hits10, 0.0);
}

// Trains a good epoch and saves it; the next epoch must stop with NON_FINITE and
// `needles` in its message, leaving that checkpoint and refusing to save over it.
void expect_stop_keeping_checkpoint(Session& session, std::initializer_list<std::string> needles) {
  session.initialize(false);
  TrainOptions options;
  options.epochs = 1;
  session.train(options);
  const auto saved = std::filesystem::last_write_time(session.checkpoint_path());
  expect_error([&] { session.train(options); }, MARIUS_ERR_NON_FINITE, needles);
  EXPECT_EQ(std::filesystem::last_write_time(session.checkpoint_path()), saved);
  CheckpointInfo info;
  load_checkpoint(session.checkpoint_path(), &info);
  EXPECT_EQ(info.epochs_done, 1);  // the last good checkpoint
  expect_error([&] { session.save(); }, MARIUS_ERR_NON_FINITE, {"not saving over"});
  expect_error([&] { session.train(options); }, MARIUS_ERR_NON_FINITE, {"epoch 2"});
}

TEST_F(RunGuards, AScorePluginReturningNaNStopsTrainingNamingEpochBatchAndPlugin) {
  // 80 training batches of 2 compute calls per epoch: the NaN comes in epoch 2.
  Session session(config(1, {"model.score=" + testing::plugin_manifest("throwing"), "model.score_options.nan_in=forward",
                             "model.score_options.after_calls=200", "pipeline.mode=sync"}),
                  {});
  expect_stop_keeping_checkpoint(session, {"epoch 2, batch 21", "a score from the forward of plugin 'throwing'", "not finite",
                                           "keeps the checkpoint of epoch 1"});
}

TEST_F(RunGuards, APluginsNaNGradientsStopTrainingNamingTheGradient) {
  Session session(config(1, {"model.score=" + testing::plugin_manifest("throwing"),
                             "model.score_options.nan_in=backward", "model.score_options.after_calls=200"}),
                  {});
  expect_stop_keeping_checkpoint(session, {"epoch 2", "gradient (from the backward of plugin 'throwing'"});
}

TEST_F(RunGuards, ADivergingModelStopsTrainingInsteadOfSavingNaN) {
  Session session(config(1, {"model.init_scale=1e30"}), {});
  session.initialize(false);
  expect_error([&] { session.train(TrainOptions{}); }, MARIUS_ERR_NON_FINITE, {"epoch 1, batch ", "not finite",
                                                                               "no checkpoint was written"});
  EXPECT_FALSE(std::filesystem::exists(session.checkpoint_path()));
}

TEST_F(RunGuards, AFreshRunRefusesToReplaceACheckpointUnlessOverwriting) {
  Config c = config(1, {"training.epochs=1"});
  {
    Session first(c, {});
    first.initialize(false);
    first.train(TrainOptions{});
  }
  Session again(c, {});
  expect_error([&] { again.initialize(false); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"already holds a checkpoint", "--resume", "--overwrite"});
  again.initialize(false, /*overwrite=*/true);
  EXPECT_EQ(again.epochs_done(), 0);
  again.initialize(/*resume=*/true);
  EXPECT_EQ(again.epochs_done(), 1);
}

TEST_F(RunGuards, ComputeWorkersNeverReadARelationRowWhileAnotherUpdatesIt) {
  // Two compute workers and many small batches over a few wide relation rows:
  // a gather that overlapped another worker's update would copy a torn row,
  // which the probe plugin refuses (relation rows are read and updated under
  // one lock, docs/pipeline.md).
  Session session(config(1, {"model.score=" + testing::plugin_manifest("relation_probe"),
                             "model.score_options.width=16384", "training.threads=2", "pipeline.compute_workers=2",
                             "training.batch_size=20", "negatives.chunks=1", "negatives.per_chunk=1"}),
                  {});
  session.initialize(false);
  for (int epoch = 0; epoch < 2; ++epoch) session.train_epoch(nullptr);
  const at::Tensor& r = session.model().relations;
  EXPECT_TRUE(at::equal(r, r.select(1, 0).unsqueeze(1).expand_as(r)));  // every row still uniform
  EXPECT_LT(r.max().item<float>(), 1.0f);                              // and trained
}

TEST(MemoryBudget, TheEstimateCountsTheTablesAndTheRefusalNamesTheKeys) {
  Config c = Config::parse("", "test", {"model.dim=1000"});
  DatasetInfo info;
  info.num_nodes = 10'000'000;
  info.num_relations = 10;
  info.num_edges[0] = 1000;
  MemoryLayout layout;
  layout.largest_partition_rows = info.num_nodes;
  layout.relation_width = 1000;
  MemoryEstimate e = estimate_training_memory(c, info, layout);
  EXPECT_GE(e.total(), uint64_t{80'000'000'000});  // 1e7 x 1000 x (embedding + state) x 4 bytes
  EXPECT_LT(e.total(), uint64_t{82'000'000'000});
  expect_error([&] { require_memory(e, uint64_t{4} << 30, "a test limit"); }, MARIUS_ERR_OUT_OF_MEMORY,
               {"needs about 75.", "may use 4.00 GiB (a test limit)", "node embeddings and Adagrad state 74.51 GiB",
                "model.dim"});
  require_memory(e, e.total(), "enough");
  // Out of core, the buffer replaces the tables.
  layout.buffer_capacity = 4;
  layout.largest_partition_rows = info.num_nodes / 32;
  EXPECT_LT(estimate_training_memory(c, info, layout).total(), uint64_t{14'000'000'000});
  EXPECT_GT(available_memory(), 0u);
}

TEST_F(RunGuards, MoreThreadsThanTheHardwareAreCapped) {
  Session session(config(1, {"training.threads=10000", "pipeline.load_workers=5000"}), {});
  const int64_t hardware = std::max<unsigned>(1, std::thread::hardware_concurrency());
  EXPECT_EQ(session.config().threads, hardware);
  EXPECT_EQ(session.config().load_workers, hardware);
}

}  // namespace
}  // namespace marius
