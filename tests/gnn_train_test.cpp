// Training with a GNN encoder end to end: link prediction through the
// pipelined stages learns and resumes from encoder-<epoch>.bin; node classification
// resumes to the same model.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include "core/run/session.h"
#include "core/tasks/node_classification/node_classification_session.h"
#include "train_fixture.h"

namespace marius {
namespace {

using GnnTrain = testing::TrainFixture;
namespace fs = std::filesystem;

TEST_F(GnnTrain, LinkPredictionWithAnEncoderLearnsPipelinedAndResumes) {
  std::vector<std::string> keys = {"model.encoder=graphsage", "model.fanouts=5", "model.dim=16",
                                   "optimizer.dense_learning_rate=0.01", "pipeline.mode=pipelined",
                                   "evaluation.protocol=filtered", "training.epochs=5"};
  Config config = this->config(1, keys);
  Session session(config, {});
  session.initialize(/*resume=*/false);
  const double before = session.evaluate(Split::kValid).mrr;
  TrainOptions options;
  TrainReport report = session.train(options);
  EXPECT_EQ(report.epochs_done, 5);
  const double after = session.evaluate(Split::kValid).mrr;
  EXPECT_GT(after, 3 * before) << "valid MRR " << before << " -> " << after;  // chance is about 0.007
  EXPECT_GT(after, 0.04);
  EXPECT_EQ(session.encoder_path(), fs::path(config.output) / "encoder-5.bin");
  EXPECT_TRUE(fs::exists(session.encoder_path()));
  EXPECT_FALSE(fs::exists(fs::path(config.output) / "encoder-4.bin"));  // the checkpoint names epoch 5's

  Session resumed(config, {});
  resumed.initialize(/*resume=*/true);
  EXPECT_EQ(resumed.epochs_done(), 5);
  EXPECT_TRUE(at::allclose(resumed.representations(), session.representations()));
  EXPECT_NEAR(resumed.evaluate(Split::kValid).mrr, after, 1e-6);

  Config other = config;  // another encoder over the same checkpoint is refused, naming the parameter
  other.encoder = "gcn";
  Session mismatched(other, {});
  testing::expect_error([&] { mismatched.initialize(/*resume=*/true); }, MARIUS_ERR_INVALID_ARGUMENT,
                        {"encoder-5.bin", "has no parameter 'layer0.weight'"});
}

// Bounded-stale dense updates (pipeline.dense_updates = "async"): two compute
// workers run on parameter stashes; the model still learns.
TEST_F(GnnTrain, AsyncDenseUpdatesLearn) {
  Config config = this->config(1, {"model.encoder=graphsage", "model.fanouts=5", "model.dim=16",
                                   "optimizer.dense_learning_rate=0.01", "pipeline.mode=pipelined",
                                   "pipeline.dense_updates=async", "pipeline.compute_workers=2",
                                   "pipeline.staleness=3", "evaluation.protocol=filtered", "training.epochs=5"});
  Session session(config, {});
  session.initialize(/*resume=*/false);
  const double before = session.evaluate(Split::kValid).mrr;
  TrainOptions options;
  TrainReport report = session.train(options);
  const double after = session.evaluate(Split::kValid).mrr;
  EXPECT_GT(after, 3 * before) << "valid MRR " << before << " -> " << after;
  // Each epoch's record says how stale the weights a batch trained with were: within pipeline.staleness.
  std::ifstream metrics(std::filesystem::path(config.output) / "metrics.jsonl");
  std::string line;
  int64_t epochs = 0, most = 0;
  while (std::getline(metrics, line)) {
    nlohmann::json record = nlohmann::json::parse(line);
    if (!record.contains("epoch")) continue;
    ++epochs;
    EXPECT_EQ(record["dense_updates"]["mode"], "async");
    most = std::max<int64_t>(most, record["dense_updates"]["max_staleness"].get<int64_t>());
  }
  EXPECT_EQ(epochs, 5);
  EXPECT_LE(most, 3);
}

// Out of core (4 partitions, 2 in the buffer, COMET): the encoder samples
// neighbourhoods among the resident partitions, the embeddings move through
// the partition buffer, and it learns and resumes as in memory.
TEST_F(GnnTrain, LinkPredictionWithAnEncoderLearnsOutOfCoreAndResumes) {
  Config config = this->config(4, {"model.encoder=graphsage", "model.fanouts=5", "model.dim=16",
                                   "optimizer.dense_learning_rate=0.01", "pipeline.mode=pipelined",
                                   "evaluation.protocol=filtered", "training.epochs=5", "storage.buffer_capacity=2",
                                   "storage.ordering=comet"});
  Session session(config, {});
  session.initialize(/*resume=*/false);
  ASSERT_TRUE(session.out_of_core());
  const double before = session.evaluate(Split::kValid).mrr;
  TrainReport report = session.train(TrainOptions{});
  EXPECT_EQ(report.epochs_done, 5);
  EXPECT_GT(report.last.io.swaps, 0);
  const double after = session.evaluate(Split::kValid).mrr;
  EXPECT_GT(after, 3 * before) << "valid MRR " << before << " -> " << after;
  EXPECT_GT(after, 0.04);

  Session resumed(config, {});
  resumed.initialize(/*resume=*/true);
  EXPECT_EQ(resumed.epochs_done(), 5);
  EXPECT_TRUE(at::allclose(resumed.representations(), session.representations()));
}

TEST_F(GnnTrain, AnEncoderIsRefusedOnTheDeviceTierNamingTheKeys) {
  Config config = this->config(4, {"model.encoder=graphsage", "storage.device_capacity=2"});
  testing::expect_error([&] { Session session(config, {}); }, MARIUS_ERR_INVALID_ARGUMENT,
                        {"model.encoder", "training.device"});
}

}  // namespace
}  // namespace marius
