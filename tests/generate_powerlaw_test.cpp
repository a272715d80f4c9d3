// generate_powerlaw(): a valid partitioned dataset with integer names, a
// skewed degree distribution, hubs spread over the partitions, reproducible
// from the seed; plain graphs, one partition, and the errors.
#include "core/data/generate_powerlaw.h"

#include <fstream>
#include <iterator>

#include <ATen/ATen.h>

#include "core/data/dataset.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace marius {
namespace {

using testing::expect_error;
using testing::TempDir;

PowerLawOptions small(const fs::path& output) {
  PowerLawOptions o;
  o.output = output;
  o.nodes = 5000;
  o.edges = 200000;
  o.relations = 5;
  o.partitions = 4;
  o.valid_edges = 300;
  o.test_edges = 200;
  return o;
}

std::string bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(GeneratePowerLaw, WritesAValidPartitionedDataset) {
  TempDir dir;
  PowerLawOptions o = small(dir.path() / "ds");
  PowerLawResult r = generate_powerlaw(o);
  EXPECT_EQ(r.output, o.output);
  Dataset d = Dataset::open(o.output);
  const DatasetInfo& info = d.info();
  EXPECT_EQ(info.num_nodes, 5000);
  EXPECT_EQ(info.num_relations, 5);
  EXPECT_TRUE(info.has_relations);
  EXPECT_EQ(info.num_partitions, 4);
  EXPECT_EQ(info.num_edges[0], 200000);
  EXPECT_EQ(info.num_edges[1], 300);
  EXPECT_EQ(info.num_edges[2], 200);
  EXPECT_EQ(info.id_bytes, 4);

  std::vector<std::string> nodes = d.node_names();
  for (int64_t i = 0; i < 5000; i += 7) ASSERT_EQ(nodes[static_cast<size_t>(i)], std::to_string(i));
  EXPECT_EQ(d.relation_names(), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  EXPECT_EQ(d.partition_offsets(), (std::vector<int64_t>{0, 1250, 2500, 3750, 5000}));

  // Every bucket's edges lie in its partitions (checked explicitly, and by edges()).
  at::Tensor train = d.edges(Split::kTrain);
  for (int64_t b = 0; b < 16; ++b) {
    const int64_t begin = d.bucket_offsets()[static_cast<size_t>(b)],
                  end = d.bucket_offsets()[static_cast<size_t>(b + 1)];
    EXPECT_GT(end - begin, 0) << b;  // hubs are spread: every bucket gets edges
    at::Tensor bucket = train.slice(0, begin, end);
    at::Tensor heads = bucket.select(1, 0), tails = bucket.select(1, 2);
    EXPECT_TRUE(heads.ge(d.partition_offsets()[static_cast<size_t>(b / 4)]).all().item<bool>()) << b;
    EXPECT_TRUE(heads.lt(d.partition_offsets()[static_cast<size_t>(b / 4 + 1)]).all().item<bool>()) << b;
    EXPECT_TRUE(tails.ge(d.partition_offsets()[static_cast<size_t>(b % 4)]).all().item<bool>()) << b;
    EXPECT_TRUE(tails.lt(d.partition_offsets()[static_cast<size_t>(b % 4 + 1)]).all().item<bool>()) << b;
  }
  EXPECT_EQ(train.select(1, 1).max().item<int64_t>(), 4);

  // degrees.bin counts the training edges; the distribution is heavily skewed.
  at::Tensor degrees = d.degrees();
  at::Tensor counted = at::bincount(train.select(1, 0), {}, 5000) + at::bincount(train.select(1, 2), {}, 5000);
  EXPECT_TRUE(at::equal(degrees, counted));
  const double mean = 2.0 * 200000 / 5000;  // 80
  EXPECT_EQ(r.max_degree, degrees.max().item<int64_t>());
  EXPECT_GT(static_cast<double>(r.max_degree), 50 * mean);
  // The top 1% of nodes hold over a third of all edge ends (uniform: 1%).
  at::Tensor sorted = std::get<0>(degrees.sort(0, /*descending=*/true));
  EXPECT_GT(sorted.slice(0, 0, 50).sum().item<int64_t>() * 3, degrees.sum().item<int64_t>());
  // The 20 largest hubs are not all in one partition.
  at::Tensor hubs = std::get<1>(degrees.sort(0, true)).slice(0, 0, 20);
  std::set<int64_t> hub_partitions;
  for (int64_t i = 0; i < 20; ++i) hub_partitions.insert(d.partition_of(hubs[i].item<int64_t>()));
  EXPECT_GT(hub_partitions.size(), 1u);
}

TEST(GeneratePowerLaw, SameSeedSameFilesOtherSeedOtherFiles) {
  TempDir dir;
  PowerLawOptions o = small(dir.path() / "a");
  generate_powerlaw(o);
  o.output = dir.path() / "b";
  generate_powerlaw(o);
  o.output = dir.path() / "c";
  o.seed = 2;
  generate_powerlaw(o);
  for (const char* file : {"train.edges", "valid.edges", "test.edges", "train.buckets", "degrees.bin", "header.bin"}) {
    EXPECT_EQ(bytes_of(dir.path() / "a" / file), bytes_of(dir.path() / "b" / file)) << file;
  }
  EXPECT_NE(bytes_of(dir.path() / "a" / "train.edges"), bytes_of(dir.path() / "c" / "train.edges"));
}

TEST(GeneratePowerLaw, PlainGraphInOnePartition) {
  TempDir dir;
  PowerLawOptions o;
  o.output = dir.path() / "ds";
  o.nodes = 100;
  o.edges = 1000;
  o.relations = 1;
  o.valid_edges = 0;
  Dataset d = Dataset::open(generate_powerlaw(o).output);
  EXPECT_FALSE(d.info().has_relations);
  EXPECT_EQ(d.relation_names(), (std::vector<std::string>{""}));
  EXPECT_EQ(d.info().num_partitions, 1);
  EXPECT_EQ(d.bucket_offsets(), (std::vector<int64_t>{0, 1000}));
  EXPECT_EQ(d.edges(Split::kValid).size(0), 0);
  EXPECT_EQ(d.edges(Split::kTest).size(0), 1000);
  EXPECT_EQ(d.edges(Split::kTrain).select(1, 1).max().item<int64_t>(), 0);
}

TEST(GeneratePowerLawErrors, OptionsAndOutputs) {
  TempDir dir;
  PowerLawOptions o = small(dir.path() / "ds");
  o.partitions = 5001;
  expect_error([&] { generate_powerlaw(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"--partitions 5001"});
  o.partitions = 0;
  expect_error([&] { generate_powerlaw(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"--partitions 0"});
  o = small(dir.path() / "ds");
  o.nodes = 3;
  expect_error([&] { generate_powerlaw(o); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"--partitions 4: more partitions than the 3 nodes"});
  o = small(dir.path() / "ds");
  o.exponent = 1.0;
  expect_error([&] { generate_powerlaw(o); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"--exponent 1: expected a value in (1, 10]"});
  o = small(dir.path() / "ds");
  o.edges = 0;
  expect_error([&] { generate_powerlaw(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"--edges 0: expected a value in [1,"});
  o = small("");
  expect_error([&] { generate_powerlaw(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"--output: required"});
  EXPECT_TRUE(fs::is_empty(dir.path()));

  o = small(dir.path() / "ds");
  generate_powerlaw(o);
  generate_powerlaw(o);  // replaces a dataset
  dir.write("notes.txt", "mine");
  o.output = dir.path() / "notes.txt";
  expect_error([&] { generate_powerlaw(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"exists and is not a marius dataset"});
}

}  // namespace
}  // namespace marius
