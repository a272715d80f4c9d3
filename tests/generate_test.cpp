// generate(): sizes, distinct triples, reproducibility, the planted cluster
// structure, and the errors.
#include "core/data/generate.h"

#include <functional>
#include <map>
#include <set>

#include "core/data/preprocess.h"
#include "data_test_util.h"

namespace fs = std::filesystem;

namespace marius {
namespace {

using testing::expect_error;
using testing::read_all;
using testing::TempDir;

std::vector<std::string> split_rows(const fs::path& dir, const char* name) { return read_all(dir / name); }

TEST(Generate, WritesDistinctTriplesSplit80_10_10) {
  TempDir dir;
  GenerateOptions o;
  o.output = dir.path() / "g";
  o.nodes = 300;
  o.relations = 4;
  o.edges = 5000;
  o.clusters = 10;
  GenerateResult r = generate(o);
  EXPECT_EQ(r.num_edges[0], 4000);
  EXPECT_EQ(r.num_edges[1], 500);
  EXPECT_EQ(r.num_edges[2], 500);
  EXPECT_EQ(r.clusters, 10);
  std::set<std::string> all;
  size_t total = 0;
  for (const char* name : {"train.tsv", "valid.tsv", "test.tsv"}) {
    auto rows = split_rows(o.output, name);
    total += rows.size();
    all.insert(rows.begin(), rows.end());
  }
  EXPECT_EQ(total, 5000u);
  EXPECT_EQ(all.size(), 5000u);  // no duplicates within or across splits
  EXPECT_EQ(split_rows(o.output, "train.tsv").size(), 4000u);
}

TEST(Generate, SameSeedSameFilesOtherSeedOtherFiles) {
  TempDir dir;
  GenerateOptions o;
  o.nodes = 200;
  o.edges = 2000;
  o.output = dir.path() / "a";
  generate(o);
  o.output = dir.path() / "b";
  generate(o);
  o.output = dir.path() / "c";
  o.seed = 2;
  generate(o);
  EXPECT_EQ(split_rows(dir.path() / "a", "train.tsv"), split_rows(dir.path() / "b", "train.tsv"));
  EXPECT_NE(split_rows(dir.path() / "a", "train.tsv"), split_rows(dir.path() / "c", "train.tsv"));
}

// All tails of one (relation, head) pair lie in one cluster. Joining such tails
// with a union-find over all the data therefore yields exactly the clusters:
// never fewer (that would mean a relation crossed clusters), and with this much
// data not more.
TEST(Generate, TailsOfARelationAndHeadShareACluster) {
  TempDir dir;
  GenerateOptions o;
  o.output = dir.path() / "g";
  o.nodes = 100;
  o.relations = 3;
  o.clusters = 5;  // 20 nodes each
  o.edges = 2500;
  generate(o);
  std::map<std::string, std::string> parent;
  std::function<std::string(const std::string&)> find = [&](const std::string& x) -> std::string {
    auto it = parent.find(x);
    if (it == parent.end() || it->second == x) return parent[x] = x;
    return it->second = find(it->second);
  };
  std::map<std::string, std::string> first_tail;  // "relation|head" -> a tail
  for (const char* name : {"train.tsv", "valid.tsv", "test.tsv"}) {
    for (const std::string& row : split_rows(o.output, name)) {
      size_t a = row.find('|');
      size_t b = row.find('|', a + 1);
      std::string key = row.substr(a + 1, b - a - 1) + "|" + row.substr(0, a);
      std::string tail = row.substr(b + 1);
      auto [it, added] = first_tail.emplace(key, tail);
      if (!added) parent[find(tail)] = find(it->second);
    }
  }
  std::set<std::string> groups;
  for (const auto& entry : parent) groups.insert(find(entry.first));
  EXPECT_EQ(groups.size(), 5u);
}

TEST(Generate, FeedsPreprocess) {
  TempDir dir;
  GenerateOptions g;
  g.output = dir.path() / "g";
  generate(g);
  PreprocessOptions p;
  p.train = g.output / "train.tsv";
  p.valid = g.output / "valid.tsv";
  p.test = g.output / "test.tsv";
  p.output = dir.path() / "ds";
  PreprocessResult r = preprocess(p);
  EXPECT_EQ(r.info.num_edges[0], 32000);
  EXPECT_EQ(r.info.num_edges[1], 4000);
  EXPECT_EQ(r.info.num_edges[2], 4000);
  EXPECT_EQ(r.info.num_relations, 10);
  EXPECT_LE(r.info.num_nodes, 2000);
  EXPECT_GT(r.info.num_nodes, 1990);
}

TEST(GenerateErrors, OptionsAndOutputs) {
  TempDir dir;
  GenerateOptions o;
  o.output = dir.path() / "g";
  o.nodes = 1;
  expect_error([&] { generate(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"--nodes 1: expected a value in [2,"});
  o.nodes = 20;
  o.edges = 1000;
  expect_error([&] { generate(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"--edges 1000: too many"});
  o.output = "";
  expect_error([&] { generate(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"--output: required"});

  o.output = dir.path() / "g";
  o.edges = 40;
  generate(o);
  generate(o);  // replaces its own output
  dir.write("g/notes.txt", "mine");
  expect_error([&] { generate(o); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"exists and is not a directory of generated edge lists"});
  EXPECT_TRUE(fs::exists(o.output / "notes.txt"));
}

}  // namespace
}  // namespace marius
