// Configuration: defaults, file + --set, errors naming the key, TOML round trip.
#include "core/config/config.h"

#include <fstream>

#include "test_util.h"

namespace marius {
namespace {

using testing::expect_error;
using testing::TempDir;

TEST(Config, FileAndOverrides) {
  TempDir dir;
  auto file = dir.write("c.toml", "[model]\ndim = 64\nscore_options = { norm = 1 }\n[training]\nepochs = 4\n");
  Config c = Config::load(file, {"training.epochs=7", "optimizer.learning_rate=1", "output.dir=/tmp/x y"});
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.epochs, 7);
  EXPECT_EQ(c.learning_rate, 1.0);  // an integer where a float is declared
  EXPECT_EQ(c.output, "/tmp/x y");
  EXPECT_EQ(std::get<int64_t>(c.score_options.at("norm")), 1);
  EXPECT_EQ(c.batch_size, 1000);  // default
}

// An inline table replaces a whole options table; a dotted key sets one option of it.
TEST(Config, AnInlineTableReplacesAnOptionsTable) {
  TempDir dir;
  auto file = dir.write("c.toml", "[storage]\nordering = \"comet\"\nordering_options = { logical_partitions = 4 }\n");
  Config replaced = Config::load(file, {"storage.ordering=beta", "storage.ordering_options={ shuffle = true }"});
  EXPECT_EQ(replaced.ordering_options.size(), 1u);
  EXPECT_TRUE(std::get<bool>(replaced.ordering_options.at("shuffle")));
  Config merged = Config::load(file, {"storage.ordering_options.shuffle=true"});
  EXPECT_EQ(merged.ordering_options.size(), 2u);
  testing::expect_error([&] { Config::load(file, {"storage.ordering_options={ shuffle = }"}); },
                        MARIUS_ERR_INVALID_ARGUMENT, {"override storage.ordering_options={ shuffle = }", "inline table"});
}

TEST(Config, Errors) {
  TempDir dir;
  auto file = dir.write("c.toml", "[training]\nepochs = 2\nbatchsize = 3\n");
  expect_error([&] { Config::load(file, {}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {file.string() + ":3", "unknown key 'training.batchsize'", "batch_size"});
  expect_error([&] { Config::load("", {"traning.epochs=3"}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"override", "unknown section or key 'traning'"});
  expect_error([&] { Config::load("", {"training.loss=hinge"}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"training.loss must be one of softmax, ranking, logistic"});
  expect_error([&] { Config::load("", {"model.dim=0"}); }, MARIUS_ERR_INVALID_ARGUMENT, {"model.dim must be at least 1"});
  expect_error([&] { Config::load("", {"training.threads=two"}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"training.threads expects integer, got string"});
  expect_error([&] { Config::load("/no/such.toml", {}); }, MARIUS_ERR_NOT_FOUND, {"/no/such.toml"});
  auto broken = dir.write("broken.toml", "[model\n");
  expect_error([&] { Config::load(broken, {}); }, MARIUS_ERR_INVALID_ARGUMENT, {"broken.toml:1", "invalid TOML"});
}

TEST(Config, TomlRoundTrip) {
  Config c = Config::load("", {"model.score=transe", "model.score_options.norm=1", "optimizer.adagrad_eps=1e-07",
                               "dataset.path=a \"quoted\" path", "training.seed=42"});
  Config back = Config::parse(c.to_toml(), "round trip", {});
  EXPECT_EQ(back.to_toml(), c.to_toml());
  EXPECT_EQ(back.dataset, "a \"quoted\" path");
  EXPECT_EQ(back.adagrad_eps, 1e-7);
  EXPECT_EQ(back.seed, 42);
}

TEST(Config, RelativePathsInAFileAreBesideTheFileAndOverridesBesideTheCaller) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "runs");
  auto file = dir.path() / "runs" / "c.toml";
  std::ofstream(file) << "[dataset]\npath = \"../data/x\"\n[model]\nscore = \"plugins/mine.toml\"\n"
                         "[negatives]\nsampler = \"uniform\"\n[output]\ndir = \"/abs/out\"\n";
  Config c = Config::load(file, {});
  EXPECT_EQ(c.dataset, (dir.path() / "data" / "x").string());
  EXPECT_EQ(c.score, (dir.path() / "runs" / "plugins" / "mine.toml").string());
  EXPECT_EQ(c.sampler, "uniform");  // a plugin name, not a path
  EXPECT_EQ(c.output, "/abs/out");
  Config overridden = Config::load(file, {"dataset.path=rel/y", "output.dir=o"});
  EXPECT_EQ(overridden.dataset, "rel/y");  // command-line paths: relative to the current directory
  EXPECT_EQ(overridden.output, "o");
  EXPECT_EQ(Config::parse("[dataset]\npath = \"d\"\n", "text", {}).dataset, "d");  // text has no directory
}

TEST(Config, MarkdownListsEveryKey) {
  std::string md = config_markdown();
  for (const char* key : {"`path`", "`score`", "`inverse_relations`", "`per_chunk`", "`regularization`", "`protocol`"}) {
    EXPECT_NE(md.find(key), std::string::npos) << key;
  }
}

}  // namespace
}  // namespace marius

namespace marius {
namespace {

TEST(ConfigExamples, EveryExampleConfigParses) {
  int parsed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(MARIUS_TEST_SOURCE_DIR) / "examples")) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW(Config::load(entry.path(), {}));
    ++parsed;
  }
  EXPECT_GE(parsed, 5);
}

}  // namespace
}  // namespace marius
