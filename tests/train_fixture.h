// A small planted graph and configs for tests that train through a Session,
// and an optimizer hook that counts what the update stage applies.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/config/config.h"
#include "core/data/generate.h"
#include "core/data/preprocess.h"
#include "core/tasks/link_prediction/link_prediction_task.h"
#include "test_util.h"

namespace marius::testing {

class TrainFixture : public ::testing::Test {
 protected:
  // A planted graph of 1000 nodes and 10000 edges, preprocessed with
  // `partitions` partitions into dir/data<partitions>.
  std::string dataset(int partitions) {
    const auto out = dir_.path() / ("data" + std::to_string(partitions));
    if (!std::filesystem::exists(out)) {
      if (!std::filesystem::exists(dir_.path() / "raw")) {
        GenerateOptions g;
        g.output = dir_.path() / "raw";
        g.nodes = 1000;
        g.edges = 10000;
        g.seed = 3;
        generate(g);
      }
      PreprocessOptions p;
      p.train = dir_.path() / "raw" / "train.tsv";
      p.valid = dir_.path() / "raw" / "valid.tsv";
      p.test = dir_.path() / "raw" / "test.tsv";
      p.output = out;
      p.partitions = partitions;
      preprocess(p);
    }
    return out.string();
  }

  // Batches of 100 edges in 4 chunks of 20 negatives, dimension 16, no
  // evaluation; `overrides` last.
  Config config(int partitions, std::vector<std::string> overrides) {
    std::vector<std::string> all = {"dataset.path=" + dataset(partitions),
                                    "output.dir=" + (dir_.path() / ("out" + std::to_string(runs_++))).string(),
                                    "training.batch_size=100",
                                    "negatives.chunks=4",
                                    "negatives.per_chunk=20",
                                    "model.dim=16",
                                    "evaluation.protocol=none"};
    all.insert(all.end(), overrides.begin(), overrides.end());
    return Config::parse("", "test", all);
  }

  TempDir dir_;
  int runs_ = 0;
};

// Counts the node-gradient rows applied per batch, instead of Adagrad.
struct CountingOptimizer {
  std::mutex mutex;
  std::vector<int> applied;  // per batch number
  int64_t rows = 0;
  int64_t throw_at = -1;     // throws at this batch, when >= 0

  LinkPredictionTask::NodeOptimizer hook() {
    return [this](int64_t batch, const std::vector<RowGradients>& gradients) {
      if (batch == throw_at) throw Error(MARIUS_ERR_INTERNAL, "counting optimizer: refused batch " + std::to_string(batch));
      int64_t n = 0;
      for (const RowGradients& g : gradients) {
        EXPECT_EQ(g.ids.size(0), g.grads.size(0));
        n += g.ids.size(0);
      }
      std::lock_guard<std::mutex> lock(mutex);
      if (batch >= static_cast<int64_t>(applied.size())) applied.resize(batch + 1, 0);
      applied[batch] += 1;
      rows += n;
    };
  }
};

}  // namespace marius::testing
