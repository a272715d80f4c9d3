// Partitioned datasets: the partition rule (partitioning.h), preprocess
// --partitions (a seeded permutation of the dense ids, buckets holding their
// partitions' edges in input order, everything mapping back to the input), the
// errors of bad partition counts, and Dataset's checks of train.buckets.
#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include <ATen/ATen.h>

#include "core/data/dataset.h"
#include "core/data/dataset_format.h"
#include "core/data/metis_partitioning.h"
#include "core/data/partitioning.h"
#include "core/data/preprocess.h"
#include "core/run/tier_config.h"
#include "data_test_util.h"

namespace fs = std::filesystem;

namespace marius {
namespace {

using testing::expect_error;
using testing::TempDir;
using Edge = std::array<std::string, 3>;  // head, relation, tail names

// ---- the rule ----------------------------------------------------------------------------

TEST(NodePartitioning, OffsetsFollowTheFloorRuleAndPartitionOfInvertsThem) {
  for (int64_t n = 1; n <= 40; ++n) {
    for (int64_t p = 1; p <= n; ++p) {
      NodePartitioning parts(n, p);
      std::vector<int64_t> offsets = parts.offsets();
      ASSERT_EQ(offsets.size(), static_cast<size_t>(p + 1));
      for (int64_t k = 0; k <= p; ++k) ASSERT_EQ(offsets[static_cast<size_t>(k)], k * n / p) << n << " " << p;
      for (int64_t k = 0; k < p; ++k) {
        int64_t size = offsets[static_cast<size_t>(k + 1)] - offsets[static_cast<size_t>(k)];
        ASSERT_TRUE(size == n / p || size == n / p + 1) << n << " " << p << " " << k;  // as equal as possible
        for (int64_t node = offsets[static_cast<size_t>(k)]; node < offsets[static_cast<size_t>(k + 1)]; ++node) {
          ASSERT_EQ(parts.partition_of(node), k) << n << " " << p << " " << node;
        }
      }
      ASSERT_EQ(parts.bucket_of(0, n - 1), p - 1);
      ASSERT_EQ(parts.bucket_of(n - 1, 0), (p - 1) * p);
    }
  }
  // Near the top of int64, where num_nodes * p overflows: still exact.
  const int64_t n = INT64_MAX / 3;
  NodePartitioning parts(n, 1000);
  for (int64_t k : {1, 2, 499, 999}) {
    const int64_t offset = static_cast<int64_t>(static_cast<unsigned __int128>(k) * n / 1000);
    EXPECT_EQ(parts.offset(k), offset);
    EXPECT_EQ(parts.partition_of(offset), k);
    EXPECT_EQ(parts.partition_of(offset - 1), k - 1);
  }
  EXPECT_EQ(parts.partition_of(n - 1), 999);
}

TEST(NodePartitioning, CheckPartitionsNamesTheOption) {
  check_partitions(1, 1);
  check_partitions(kMaxPartitions, -1);
  expect_error([] { check_partitions(0, -1); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"--partitions 0: expected a value in [1, 1024]"});
  expect_error([] { check_partitions(kMaxPartitions + 1, -1); }, MARIUS_ERR_INVALID_ARGUMENT, {"--partitions 1025"});
  expect_error([] { check_partitions(6, 5); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"--partitions 6: more partitions than the 5 nodes"});
}

// ---- preprocess --partitions ------------------------------------------------------------------

// A random multigraph over nodes "n0".."n{nodes-1}" (each appears: a chain comes first) and 4 relations.
std::vector<Edge> random_edges(int nodes, int count, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<Edge> edges;
  for (int i = 0; i + 1 < nodes && static_cast<int>(edges.size()) < count; ++i) {
    edges.push_back({"n" + std::to_string(i), "r0", "n" + std::to_string(i + 1)});
  }
  while (static_cast<int>(edges.size()) < count) {
    edges.push_back({"n" + std::to_string(random() % nodes), "r" + std::to_string(random() % 4),
                     "n" + std::to_string(random() % nodes)});
  }
  return edges;
}

fs::path write_edges(const TempDir& dir, const std::string& name, const std::vector<Edge>& edges) {
  std::string text;
  for (const Edge& e : edges) text += e[0] + "\t" + e[1] + "\t" + e[2] + "\n";
  return dir.write(name, text);
}

std::string joined(const Edge& e) { return e[0] + "|" + e[1] + "|" + e[2]; }

// Rows of an int64 [E, 3] tensor as "head|relation|tail" names.
std::vector<std::string> named(const at::Tensor& edges, const std::vector<std::string>& nodes,
                               const std::vector<std::string>& relations) {
  auto e = edges.accessor<int64_t, 2>();
  std::vector<std::string> out;
  for (int64_t i = 0; i < edges.size(0); ++i) {
    out.push_back(joined({nodes[static_cast<size_t>(e[i][0])], relations[static_cast<size_t>(e[i][1])],
                          nodes[static_cast<size_t>(e[i][2])]}));
  }
  return out;
}

struct Fixture {
  TempDir dir;
  std::vector<Edge> train = random_edges(61, 3000, 1);
  std::vector<Edge> valid = random_edges(61, 100, 2);
  std::vector<Edge> test = random_edges(61, 100, 3);
  fs::path train_file = write_edges(dir, "train.tsv", train);
  fs::path valid_file = write_edges(dir, "valid.tsv", valid);
  fs::path test_file = write_edges(dir, "test.tsv", test);

  fs::path preprocess(const std::string& name, int64_t partitions, uint64_t seed = 1) const {
    PreprocessOptions o;
    o.train = train_file;
    o.valid = valid_file;
    o.test = test_file;
    o.output = dir.path() / name;
    o.partitions = partitions;
    o.seed = seed;
    marius::preprocess(o);
    return o.output;
  }
};

TEST(PartitionedPreprocess, BucketsHoldTheirPartitionsInInputOrderAndMapBackToTheInput) {
  Fixture f;
  const int64_t p = 5;
  Dataset d = Dataset::open(f.preprocess("ds", p));
  EXPECT_EQ(d.info().num_partitions, p);
  EXPECT_EQ(d.info().num_nodes, 61);
  // floor(k * 61 / 5): sizes 12, 12, 12, 12, 13.
  EXPECT_EQ(d.partition_offsets(), (std::vector<int64_t>{0, 12, 24, 36, 48, 61}));
  const std::vector<int64_t>& buckets = d.bucket_offsets();
  ASSERT_EQ(buckets.size(), static_cast<size_t>(p * p + 1));
  EXPECT_EQ(buckets.front(), 0);
  EXPECT_EQ(buckets.back(), 3000);

  // nodes.txt is a permutation of the input's names.
  std::vector<std::string> nodes = d.node_names();
  std::vector<std::string> relations = d.relation_names();
  std::set<std::string> distinct(nodes.begin(), nodes.end());
  EXPECT_EQ(distinct.size(), 61u);
  for (int i = 0; i < 61; ++i) EXPECT_EQ(distinct.count("n" + std::to_string(i)), 1u);
  std::map<std::string, int64_t> id;
  for (size_t i = 0; i < nodes.size(); ++i) id[nodes[i]] = static_cast<int64_t>(i);

  // What each bucket must hold: the input's training edges whose renumbered
  // head and tail fall in its partitions, in input order.
  std::vector<std::vector<std::string>> expected(static_cast<size_t>(p * p));
  for (const Edge& e : f.train) {
    int64_t b = d.partition_of(id[e[0]]) * p + d.partition_of(id[e[2]]);
    expected[static_cast<size_t>(b)].push_back(joined(e));
  }
  std::vector<at::Tensor> pieces;
  for (int64_t b = 0; b < p * p; ++b) {
    at::Tensor bucket = d.edges(Split::kTrain, buckets[static_cast<size_t>(b)], buckets[static_cast<size_t>(b + 1)]);
    auto e = bucket.accessor<int64_t, 2>();
    for (int64_t k = 0; k < bucket.size(0); ++k) {
      // Checked against partition_offsets() directly, not through partition_of.
      const auto i = static_cast<size_t>(b / p), j = static_cast<size_t>(b % p);
      ASSERT_TRUE(e[k][0] >= d.partition_offsets()[i] && e[k][0] < d.partition_offsets()[i + 1]) << b;
      ASSERT_TRUE(e[k][2] >= d.partition_offsets()[j] && e[k][2] < d.partition_offsets()[j + 1]) << b;
    }
    EXPECT_EQ(named(bucket, nodes, relations), expected[static_cast<size_t>(b)]) << "bucket " << b;
    pieces.push_back(bucket);
  }
  EXPECT_TRUE(at::equal(at::cat(pieces), d.edges(Split::kTrain)));

  // Valid and test edges are renumbered too, in input order.
  std::vector<std::string> valid, test;
  for (const Edge& e : f.valid) valid.push_back(joined(e));
  for (const Edge& e : f.test) test.push_back(joined(e));
  EXPECT_EQ(named(d.edges(Split::kValid), nodes, relations), valid);
  EXPECT_EQ(named(d.edges(Split::kTest), nodes, relations), test);

  // degrees.bin follows the renumbering.
  std::vector<int64_t> degrees(61, 0);
  for (const Edge& e : f.train) {
    ++degrees[static_cast<size_t>(id[e[0]])];
    ++degrees[static_cast<size_t>(id[e[2]])];
  }
  EXPECT_TRUE(at::equal(d.degrees(), at::tensor(degrees, at::kLong)));
}

TEST(PartitionedPreprocess, ThePermutationDependsOnTheSeed) {
  Fixture f;
  Dataset a = Dataset::open(f.preprocess("a", 4, 3));
  Dataset b = Dataset::open(f.preprocess("b", 4, 3));
  Dataset c = Dataset::open(f.preprocess("c", 4, 4));
  Dataset plain = Dataset::open(f.preprocess("plain", 1, 3));
  EXPECT_EQ(a.node_names(), b.node_names());
  EXPECT_TRUE(at::equal(a.edges(Split::kTrain), b.edges(Split::kTrain)));
  EXPECT_EQ(a.bucket_offsets(), b.bucket_offsets());
  EXPECT_NE(a.node_names(), c.node_names());
  // p = 1: first-appearance ids, input order, one bucket.
  std::vector<std::string> first_appearance;
  for (int i = 0; i < 61; ++i) first_appearance.push_back("n" + std::to_string(i));
  EXPECT_EQ(plain.node_names(), first_appearance);
  EXPECT_NE(a.node_names(), first_appearance);
  EXPECT_EQ(plain.info().num_partitions, 1);
  EXPECT_EQ(plain.partition_offsets(), (std::vector<int64_t>{0, 61}));
  EXPECT_EQ(plain.bucket_offsets(), (std::vector<int64_t>{0, 3000}));
  EXPECT_EQ(plain.partition_of(60), 0);
}

TEST(PartitionedPreprocess, RandomSplitOfAnIntegerPlainGraph) {
  TempDir dir;
  std::string text;
  std::multiset<std::string> input;
  std::mt19937 random(5);
  for (int i = 0; i < 2000; ++i) {
    std::string h = std::to_string(i < 99 ? i : random() % 100), t = std::to_string(i < 99 ? i + 1 : random() % 100);
    text += h + "," + t + "\n";
    input.insert(h + "||" + t);
  }
  PreprocessOptions o;
  o.input = dir.write("all.csv", text);
  o.split = parse_split("0.8,0.1,0.1");
  o.format.delimiter = ',';
  o.format.ids = IdKind::kInteger;
  o.partitions = 3;
  o.output = dir.path() / "ds";
  preprocess(o);
  Dataset d = Dataset::open(o.output);
  EXPECT_EQ(d.info().num_partitions, 3);
  EXPECT_EQ(d.info().num_edges[0], 1600);
  std::multiset<std::string> output;
  for (Split s : kSplits) {
    for (const std::string& e : named(d.edges(s), d.node_names(), d.relation_names())) output.insert(e);
  }
  EXPECT_EQ(output, input);
  at::Tensor train = d.edges(Split::kTrain);  // checks every edge against its bucket
  auto e = train.accessor<int64_t, 2>();
  int64_t b = 0;
  for (int64_t k = 0; k < train.size(0); ++k) {
    while (k >= d.bucket_offsets()[static_cast<size_t>(b + 1)]) ++b;
    ASSERT_EQ(d.partition_of(e[k][0]) * 3 + d.partition_of(e[k][2]), b);
  }
}

// ---- --partitioner metis ----------------------------------------------------------------

// `groups` communities of `size` nodes (node v in group v % groups, so ids
// interleave them): a ring plus chords inside each, and one edge between
// neighbouring groups per group.
std::vector<std::pair<int64_t, int64_t>> communities(int64_t groups, int64_t size) {
  std::vector<std::pair<int64_t, int64_t>> edges;
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t i = 0; i < size; ++i) {
      edges.emplace_back(g + groups * i, g + groups * ((i + 1) % size));
      edges.emplace_back(g + groups * i, g + groups * ((i + 3) % size));
    }
    edges.emplace_back(g, (g + 1) % groups);
  }
  return edges;
}

TEST(MetisPartitioning, KeepsCommunitiesTogetherInTheExactPartitionSizes) {
  for (int64_t extra : {0, 5}) {  // 5: METIS's parts cannot all have the floor rule's sizes
    const int64_t groups = 4, size = 50, n = groups * size + extra;  // the extra nodes have no edges
    const auto edges = communities(groups, size);
    const EdgeSource source = [&](const std::function<void(int64_t, int64_t)>& visit) {
      for (auto [h, t] : edges) visit(h, t);
      visit(7, 7);                              // a self-loop, left out
      visit(edges[0].second, edges[0].first);   // a repeat the other way round
    };
    const MetisPartitioning m = metis_partitioning(n, groups, source, 11);
    ASSERT_EQ(m.new_id.size(), static_cast<size_t>(n));
    std::vector<int64_t> sorted = m.new_id;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t v = 0; v < n; ++v) ASSERT_EQ(sorted[static_cast<size_t>(v)], v);  // a permutation
    EXPECT_EQ(m.edges, static_cast<int64_t>(edges.size()));
    // Measured from the permutation: the communities' edges stay inside partitions.
    const NodePartitioning parts(n, groups);
    int64_t internal = 0;
    for (auto [h, t] : edges) {
      internal += parts.partition_of(m.new_id[static_cast<size_t>(h)]) == parts.partition_of(m.new_id[static_cast<size_t>(t)]);
    }
    EXPECT_EQ(internal, m.internal_edges);
    EXPECT_GT(m.internal_fraction(), 0.9) << "extra " << extra;  // random: about 1/4
    // The same seed gives the same numbering.
    EXPECT_EQ(metis_partitioning(n, groups, source, 11).new_id, m.new_id);
  }
}

TEST(PartitionedPreprocess, MetisIsRecordedInTheHeaderAndCheckedByTraining) {
  TempDir dir;
  std::string text;
  for (auto [h, t] : communities(3, 40)) text += std::to_string(h) + "\t" + std::to_string(t) + "\n";
  PreprocessOptions o;
  o.train = dir.write("train.tsv", text);
  o.format.ids = IdKind::kInteger;
  o.partitions = 3;
  o.partitioner = Partitioner::kMetis;
  o.output = dir.path() / "metis";
  const PreprocessResult r = preprocess(o);
  EXPECT_GT(r.internal_edge_fraction, 0.9);
  Dataset d = Dataset::open(o.output);
  EXPECT_EQ(d.info().partitioner, Partitioner::kMetis);
  int64_t internal = 0;  // the buckets on the diagonal hold the edges within partitions
  for (int64_t k = 0; k < 3; ++k) internal += d.bucket_offsets()[static_cast<size_t>(4 * k + 1)] - d.bucket_offsets()[static_cast<size_t>(4 * k)];
  EXPECT_GT(static_cast<double>(internal) / 240, 0.9);
  o.partitioner = Partitioner::kRandom;
  o.output = dir.path() / "random";
  EXPECT_EQ(Dataset::open(preprocess(o).output).info().partitioner, Partitioner::kRandom);
  EXPECT_LT(preprocess(o).internal_edge_fraction, 0);
  // Training with storage.partitioner names the key when the dataset differs.
  const std::string metis = (dir.path() / "metis").string();
  const Config expect_random = Config::parse("", "test", {"dataset.path=" + metis, "storage.partitioner=random"});
  expect_error([&] { resolve_capacity(expect_random, d, 0); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"storage.partitioner = \"random\"", "partitioned by metis", "--partitioner random"});
  for (const char* accepted : {"storage.partitioner=metis", "storage.partitioner=any"}) {
    EXPECT_EQ(resolve_capacity(Config::parse("", "test", {"dataset.path=" + metis, accepted}), d, 0), 0);
  }
}

TEST(PartitionedPreprocessErrors, PartitionCountsOutOfRange) {
  Fixture f;
  expect_error([&] { f.preprocess("ds", 0); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"--partitions 0: expected a value in [1, 1024]"});
  expect_error([&] { f.preprocess("ds", 62); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"--partitions 62: more partitions than the 61 nodes"});
  expect_error([&] { f.preprocess("ds", 5000); }, MARIUS_ERR_INVALID_ARGUMENT, {"--partitions 5000"});
  EXPECT_FALSE(fs::exists(f.dir.path() / "ds"));
  for (const auto& entry : fs::directory_iterator(f.dir.path())) {
    EXPECT_EQ(entry.path().extension(), ".tsv") << entry.path();  // no temporary directory left
  }
  // p = num_nodes: one node per partition.
  Dataset d = Dataset::open(f.preprocess("ds", 61));
  EXPECT_EQ(d.partition_offsets().size(), 62u);
  EXPECT_EQ(d.partition_offsets()[17], 17);
  d.edges(Split::kTrain);
}

// ---- Dataset: train.buckets checks ------------------------------------------------------------

void patch(const fs::path& file, std::streamoff offset, const void* data, size_t size) {
  std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
  out.seekp(offset);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}

int64_t read_i64(const fs::path& file, std::streamoff offset) {
  std::ifstream in(file, std::ios::binary);
  in.seekg(offset);
  int64_t value = 0;
  in.read(reinterpret_cast<char*>(&value), sizeof value);
  return value;
}

// Byte offset of bucket offset b in train.buckets with p = 5 partitions.
std::streamoff bucket_field(int b) { return 16 + 8 * 6 + 8 * b; }

TEST(DatasetBucketErrors, CorruptTrainBucketsIsRefusedAtOpenNamingTheFile) {
  Fixture f;
  const fs::path ds = f.preprocess("ds", 5);
  const fs::path file = ds / "train.buckets";
  const std::string name = file.string();
  auto fresh = [&] { f.preprocess("ds", 5); };
  auto refused = [&](marius_status code, const std::string& needle) {
    expect_error([&] { Dataset::open(ds); }, code, {name + ": " + needle});
    fresh();
  };
  EXPECT_EQ(fs::file_size(file), 16u + 8 * 6 + 8 * 26);

  fs::remove(file);
  refused(MARIUS_ERR_NOT_FOUND, "missing from the dataset");
  fs::resize_file(file, fs::file_size(file) - 8);
  refused(MARIUS_ERR_INVALID_ARGUMENT, "264 bytes, expected 272 for 5 partitions (truncated)");
  patch(file, 0, "MARIUSXX", 8);
  refused(MARIUS_ERR_INVALID_ARGUMENT, "not a marius bucket index");
  uint32_t version = kDatasetFormatVersion + 1;
  patch(file, 8, &version, 4);
  refused(MARIUS_ERR_VERSION_MISMATCH, "dataset format version");
  uint32_t four = 4;
  patch(file, 12, &four, 4);
  refused(MARIUS_ERR_INVALID_ARGUMENT, "corrupt: 4 partitions, but header.bin says 5");
  int64_t offset = 25;  // partition 2 starts at floor(2 * 61 / 5) = 24
  patch(file, 16 + 2 * 8, &offset, 8);
  refused(MARIUS_ERR_INVALID_ARGUMENT, "corrupt: partition offset 2 is 25, expected floor(2 * 61 / 5) = 24");
  int64_t next = read_i64(file, bucket_field(4));
  int64_t above = next + 1;
  patch(file, bucket_field(3), &above, 8);
  refused(MARIUS_ERR_INVALID_ARGUMENT,
          "corrupt: bucket offset 4 (" + std::to_string(next) + ") is below bucket offset 3");
  int64_t fewer = 2999;
  patch(file, bucket_field(25), &fewer, 8);
  refused(MARIUS_ERR_INVALID_ARGUMENT, "corrupt: the buckets hold 2999 edges, but header.bin says 3000 training edges");
  int64_t one = 1;
  patch(file, bucket_field(0), &one, 8);
  refused(MARIUS_ERR_INVALID_ARGUMENT, "corrupt: bucket offset 0 is 1, expected 0");

  // header.bin's partition count is checked against its node count and train.buckets.
  uint32_t partitions = 0;
  patch(ds / "header.bin", 20, &partitions, 4);
  expect_error([&] { Dataset::open(ds); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"header.bin: not a valid marius dataset header: 0 partitions of 61 nodes"});
  partitions = 6;
  patch(ds / "header.bin", 20, &partitions, 4);
  expect_error([&] { Dataset::open(ds); }, MARIUS_ERR_INVALID_ARGUMENT,
               {name + ": corrupt: 5 partitions, but header.bin says 6"});
}

// A boundary moved between two non-empty buckets keeps the offsets plausible;
// reading the edges finds the edge that is now in the wrong bucket.
TEST(DatasetBucketErrors, EdgesOutsideTheirBucketAreFoundWhenRead) {
  Fixture f;
  const fs::path ds = f.preprocess("ds", 5);
  Dataset d = Dataset::open(ds);
  int b = 1;
  while (d.bucket_offsets()[static_cast<size_t>(b)] == d.bucket_offsets()[static_cast<size_t>(b - 1)] ||
         d.bucket_offsets()[static_cast<size_t>(b + 1)] == d.bucket_offsets()[static_cast<size_t>(b)]) {
    ++b;  // a boundary between two non-empty buckets
  }
  const int64_t first = d.bucket_offsets()[static_cast<size_t>(b)];
  const int64_t moved = first + 1;
  patch(ds / "train.buckets", bucket_field(b), &moved, 8);
  Dataset corrupt = Dataset::open(ds);
  const std::string needle = fmt::format("train.edges: corrupt: edge {} (head", first);
  expect_error([&] { corrupt.edges(Split::kTrain); }, MARIUS_ERR_INVALID_ARGUMENT,
               {needle, fmt::format("lies in bucket ({}, {}) of train.buckets", (b - 1) / 5, (b - 1) % 5)});
  expect_error([&] { corrupt.edges(Split::kTrain, first, first + 1); }, MARIUS_ERR_INVALID_ARGUMENT, {needle});
  corrupt.edges(Split::kTrain, 0, first);  // the edges before it are fine

  // An id rewritten into another partition, in a fresh dataset.
  f.preprocess("ds", 5);
  Dataset clean = Dataset::open(ds);
  const int64_t edge = clean.bucket_offsets()[1];  // the first edge outside bucket (0, 0)
  const int64_t head = clean.edges(Split::kTrain, edge, edge + 1)[0][0].item<int64_t>();
  const auto other = static_cast<int32_t>(head < 12 ? 60 : 0);
  patch(ds / "train.edges", 24 + edge * 12, &other, 4);
  expect_error([&] { clean.edges(Split::kTrain, edge, edge + 1); }, MARIUS_ERR_INVALID_ARGUMENT,
               {fmt::format("train.edges: corrupt: edge {} (head {} in partition", edge, other)});
}

TEST(DatasetBucketErrors, EdgeRangesOutsideTheFile) {
  Fixture f;
  Dataset d = Dataset::open(f.preprocess("ds", 2));
  EXPECT_EQ(d.edges(Split::kTrain, 7, 7).sizes(), (at::IntArrayRef{0, 3}));
  EXPECT_TRUE(at::equal(d.edges(Split::kValid, 10, 20), d.edges(Split::kValid).slice(0, 10, 20)));
  expect_error([&] { d.edges(Split::kTrain, 5, 3); }, MARIUS_ERR_OUT_OF_RANGE,
               {"train.edges: edges [5, 3) asked for, but the file holds edges [0, 3000)"});
  expect_error([&] { d.edges(Split::kTrain, -1, 3); }, MARIUS_ERR_OUT_OF_RANGE, {"edges [-1, 3)"});
  expect_error([&] { d.edges(Split::kTest, 0, 101); }, MARIUS_ERR_OUT_OF_RANGE,
               {"test.edges: edges [0, 101) asked for, but the file holds edges [0, 100)"});
}

}  // namespace
}  // namespace marius
