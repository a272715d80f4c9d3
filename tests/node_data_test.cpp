// Node features, labels and splits through preprocess (core/data/node_data.h),
// the errors bad node data gets, and node classification refusing a layer
// plugin's NaN.
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/data/dataset.h"
#include "core/data/node_data.h"
#include "core/data/preprocess.h"
#include "core/error.h"
#include "core/tasks/node_classification/node_classification_session.h"
#include "test_paths.h"
#include "test_util.h"

namespace marius {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::expect_error;

// Four nodes a..d on a cycle; features (width 3), labels and splits.
struct NodeFiles {
  TempDir dir;
  fs::path edges = dir.write("edges.tsv", "a\tb\nb\tc\nc\td\nd\ta\n");
  fs::path features = dir.write("features.tsv", "a\t1 0 0\nb\t0 1 0\nc\t0 0 1\nd\t1,1,0\n");
  fs::path labels = dir.write("labels.tsv", "a\t0\nb\t1\nc\t1\nd\t-1\n");
  fs::path train = dir.write("train_nodes.txt", "a\nb\n");
  fs::path test = dir.write("test_nodes.txt", "c\n");

  PreprocessOptions options() const {
    PreprocessOptions o;
    o.train = edges;
    o.output = dir.path() / "ds";
    o.node_inputs.features = features;
    o.node_inputs.labels = labels;
    o.node_inputs.split_nodes[0] = train;
    o.node_inputs.split_nodes[2] = test;
    return o;
  }
};

TEST(NodeData, PreprocessKeysFeaturesLabelsAndSplitsByOriginalIds) {
  NodeFiles f;
  preprocess(f.options());
  Dataset d = Dataset::open(f.dir.path() / "ds");
  NodeData n = NodeData::open(d.dir(), d.info().num_nodes);
  std::vector<std::string> names = d.node_names();
  auto id = [&](const std::string& name) { return std::find(names.begin(), names.end(), name) - names.begin(); };
  ASSERT_TRUE(n.has_features());
  EXPECT_EQ(n.feature_dim(), 3);
  EXPECT_TRUE(at::equal(n.features()[id("d")], at::tensor({1.f, 1.f, 0.f})));
  EXPECT_EQ(n.num_classes(), 2);
  EXPECT_EQ(n.labels()[id("b")].item<int64_t>(), 1);
  EXPECT_EQ(n.labels()[id("d")].item<int64_t>(), -1);
  EXPECT_TRUE(at::equal(n.nodes(Split::kTrain), at::tensor({id("a"), id("b")}, at::kLong)));
  EXPECT_EQ(n.nodes(Split::kValid).numel(), 0);
  EXPECT_EQ(n.nodes(Split::kTest).numel(), 1);

  PreprocessOptions half = f.options();  // float16 storage reads back as float32
  half.output = f.dir.path() / "ds16";
  half.node_inputs.float16 = true;
  preprocess(half);
  EXPECT_TRUE(at::equal(NodeData::open(half.output, 4).features(), n.features()));
  EXPECT_LT(fs::file_size(half.output / "features.bin"), fs::file_size(f.dir.path() / "ds" / "features.bin"));
}

// Each bad input is refused naming FILE:LINE, and no dataset directory appears.
TEST(NodeData, BadNodeDataIsRefusedNamingTheLineAndNothingIsWritten) {
  struct Case {
    const char* file;
    const char* text;
    std::vector<std::string> needles;
  };
  const std::vector<Case> cases = {
      {"features.tsv", "a\t1 0 0\nb\t0 1 0\nc\t0 1\nd\t1 1 0\n", {"features.tsv:3", "2 feature values, but earlier lines have 3"}},
      {"features.tsv", "a\t1 0 0\nb\t0 x 0\n", {"features.tsv:2", "feature 2 'x' is not a number"}},
      {"features.tsv", "a\t1 0 0\nb\t0 nan 0\n", {"features.tsv:2", "not finite"}},
      {"features.tsv", "a\t1 0 0\nb\t0 1 0\nc\t0 0 1\n", {"have no feature row", "'d'"}},
      {"features.tsv", "a\t1 0 0\na\t0 1 0\n", {"features.tsv:2", "node 'a' already has features (line 1)"}},
      {"labels.tsv", "a\t0\nzz\t1\n", {"labels.tsv:2", "node 'zz' does not occur in the edges"}},
      {"labels.tsv", "a\t-2\n", {"labels.tsv:1", "class -2 is out of range"}},
      {"labels.tsv", "a\tone\n", {"labels.tsv:1", "class 'one' is not an integer"}},
      {"train_nodes.txt", "a\nb\na\n", {"train_nodes.txt:3", "node 'a' is already in", "train_nodes.txt (line 1)"}},
      {"test_nodes.txt", "b\n", {"test_nodes.txt:1", "node 'b' is already in", "train_nodes.txt"}},
      {"test_nodes.txt", "d\n", {"test_nodes.txt:1", "node 'd' has no label"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.file) + ": " + c.text);
    NodeFiles f;
    f.dir.write(c.file, c.text);
    expect_error([&] { preprocess(f.options()); }, MARIUS_ERR_INVALID_ARGUMENT,
                 std::initializer_list<std::string>{c.needles[0], c.needles.size() > 1 ? c.needles[1] : c.needles[0],
                                                    c.needles.back()});
    EXPECT_FALSE(fs::exists(f.dir.path() / "ds"));
  }
}

// A layer plugin's NaN output or gradient stops node classification, naming
// the plugin; no checkpoint is written.
TEST(NodeData, ALayerReturningNaNStopsTrainingNamingThePlugin) {
  NodeFiles f;
  preprocess(f.options());
  for (const char* poison : {"forward", "backward"}) {
    SCOPED_TRACE(poison);
    const fs::path out = f.dir.path() / (std::string("out-") + poison);
    Config config = Config::parse("", "test",
                                  {"dataset.path=" + (f.dir.path() / "ds").string(), "output.dir=" + out.string(),
                                   "model.task=node_classification", "model.encoder=" + testing::plugin_manifest("nan_layer"),
                                   std::string("model.encoder_options.poison=") + poison, "model.layers=2", "training.epochs=2",
                                   "training.batch_size=2"});
    NodeClassificationSession session(config, {});
    session.initialize(/*resume=*/false);
    expect_error([&] { session.train(TrainOptions{}, nullptr); }, MARIUS_ERR_NON_FINITE,
                 {"plugin 'nan_layer'", std::string(poison) == "forward" ? "forward returned NaN" : "backward returned NaN",
                  "epoch 1"});
    EXPECT_FALSE(fs::exists(out / "gnn_checkpoint.bin"));
    expect_error([&] { session.save(); }, MARIUS_ERR_NON_FINITE, {"not saving"});
  }
}

// An expression of the wrong shape is refused by the SDK adapter, naming the
// plugin and both shapes; nothing is saved.
TEST(NodeData, ALayerOfTheWrongShapeStopsTrainingNamingThePlugin) {
  NodeFiles f;
  preprocess(f.options());
  const fs::path out = f.dir.path() / "out-shape";
  Config config = Config::parse("", "test",
                                {"dataset.path=" + (f.dir.path() / "ds").string(), "output.dir=" + out.string(),
                                 "model.task=node_classification", "model.encoder=" + testing::plugin_manifest("nan_layer"),
                                 "model.encoder_options.poison=shape", "model.layers=1", "training.epochs=1",
                                 "training.batch_size=2"});
  NodeClassificationSession session(config, {});
  session.initialize(/*resume=*/false);
  expect_error([&] { session.train(TrainOptions{}, nullptr); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"nan_layer", "the layer's expression gave shape", "expected ["});
  EXPECT_FALSE(fs::exists(out / "gnn_checkpoint.bin"));
}

}  // namespace
}  // namespace marius
