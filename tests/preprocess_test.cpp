// preprocess(): round trips through Dataset::open, random splits, integer ids,
// 64-bit ids, replacing outputs, and the errors of bad inputs (none of which
// leaves an output directory behind).
#include "core/data/adjacency_index.h"
#include "core/data/preprocess.h"

#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <ATen/ATen.h>

#include "core/data/dataset.h"
#include "core/data/dataset_format.h"
#include "data_test_util.h"

namespace fs = std::filesystem;

namespace marius {
namespace {

using testing::expect_error;
using testing::TempDir;

PreprocessOptions files(const fs::path& train, const fs::path& valid, const fs::path& test, const fs::path& output) {
  PreprocessOptions o;
  o.train = train;
  o.valid = valid;
  o.test = test;
  o.output = output;
  return o;
}

// The edges of a split as original-id strings "h|r|t".
std::vector<std::string> named_edges(const Dataset& d, Split split) {
  at::Tensor edges = d.edges(split);
  auto nodes = d.node_names();
  auto relations = d.relation_names();
  auto e = edges.accessor<int64_t, 2>();
  std::vector<std::string> out;
  for (int64_t i = 0; i < edges.size(0); ++i) {
    out.push_back(nodes[static_cast<size_t>(e[i][0])] + "|" + relations[static_cast<size_t>(e[i][1])] + "|" +
                  nodes[static_cast<size_t>(e[i][2])]);
  }
  return out;
}

// The only entry of `dir` (the output) and nothing else: no temporary leftovers.
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Preprocess, RoundTripThroughDataset) {
  TempDir dir;
  auto train = dir.write("train.tsv", "# kg\na\tlikes\tb\nb\tlikes\tc\nc\thates\ta\na\tlikes\ta\n");
  auto valid = dir.write("valid.tsv", "a\thates\td\n");  // d appears only in valid
  auto test = dir.write("test.tsv", "e\tknows\tb\n");    // e and "knows" only in test
  PreprocessResult r = preprocess(files(train, valid, test, dir.path() / "ds"));
  EXPECT_EQ(r.info.num_nodes, 5);
  EXPECT_EQ(r.info.num_relations, 3);
  EXPECT_TRUE(r.info.has_relations);
  EXPECT_EQ(r.info.id_bytes, 4);
  EXPECT_EQ(r.format.columns.str(), "hrt");

  Dataset d = Dataset::open(dir.path() / "ds");
  EXPECT_EQ(d.info().num_nodes, 5);
  EXPECT_EQ(d.info().num_relations, 3);
  EXPECT_EQ(d.info().num_edges[0], 4);
  EXPECT_EQ(d.info().num_edges[1], 1);
  EXPECT_EQ(d.info().num_edges[2], 1);
  EXPECT_EQ(d.info().id_bytes, 4);
  EXPECT_EQ(d.node_names(), (std::vector<std::string>{"a", "b", "c", "d", "e"}));  // first appearance
  EXPECT_EQ(d.relation_names(), (std::vector<std::string>{"likes", "hates", "knows"}));

  at::Tensor train_edges = d.edges(Split::kTrain);
  EXPECT_EQ(train_edges.scalar_type(), at::kLong);
  EXPECT_EQ(train_edges.sizes(), (at::IntArrayRef{4, 3}));
  EXPECT_TRUE(at::equal(train_edges, at::tensor({0, 0, 1, 1, 0, 2, 2, 1, 0, 0, 0, 0}, at::kLong).view({4, 3})));
  EXPECT_EQ(named_edges(d, Split::kValid), (std::vector<std::string>{"a|hates|d"}));
  EXPECT_EQ(named_edges(d, Split::kTest), (std::vector<std::string>{"e|knows|b"}));
  // Degrees over train only; the self-loop a-a counts twice.
  EXPECT_TRUE(at::equal(d.degrees(), at::tensor({4, 2, 2, 0, 0}, at::kLong)));
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"ds", "test.tsv", "train.tsv", "valid.tsv"}));
}

TEST(Preprocess, CsvGzipHeaderAndPlainGraph) {
  TempDir dir;
  auto train = testing::write_gz(dir, "train.csv.gz", "src,dst\nu1,u2\nu2,u3\n");
  PreprocessOptions o;
  o.train = train;
  o.output = dir.path() / "ds";
  o.format.delimiter = ',';
  o.format.header = true;
  preprocess(o);
  Dataset d = Dataset::open(o.output);
  EXPECT_FALSE(d.info().has_relations);
  EXPECT_EQ(d.info().num_relations, 1);
  EXPECT_EQ(d.relation_names(), (std::vector<std::string>{""}));
  EXPECT_EQ(d.node_names(), (std::vector<std::string>{"u1", "u2", "u3"}));
  EXPECT_TRUE(at::equal(d.edges(Split::kTrain), at::tensor({0, 0, 1, 1, 0, 2}, at::kLong).view({2, 3})));
  EXPECT_EQ(d.edges(Split::kValid).sizes(), (at::IntArrayRef{0, 3}));
  EXPECT_EQ(d.edges(Split::kTest).sizes(), (at::IntArrayRef{0, 3}));
  EXPECT_TRUE(at::equal(d.degrees(), at::tensor({1, 2, 1}, at::kLong)));
}

TEST(Preprocess, IdsWithSpacesAndNonAsciiTextRoundTrip) {
  TempDir dir;
  auto train = dir.write("train.tsv", "New York\tlocated in\tUnited States\nKöln\tliegt in\tDeutschland\n"
                                      "東京\t位于\t日本\n");
  PreprocessOptions o;
  o.train = train;
  o.output = dir.path() / "ds";
  preprocess(o);
  Dataset d = Dataset::open(o.output);
  EXPECT_EQ(d.node_names(),
            (std::vector<std::string>{"New York", "United States", "Köln", "Deutschland", "東京", "日本"}));
  EXPECT_EQ(named_edges(d, Split::kTrain),
            (std::vector<std::string>{"New York|located in|United States", "Köln|liegt in|Deutschland",
                                      "東京|位于|日本"}));
}

TEST(Preprocess, IntegerIdsFollowNumericOrder) {
  TempDir dir;
  auto train = dir.write("train.tsv", "3\t1\n1\t2\n0\t003\n");
  PreprocessOptions o;
  o.train = train;
  o.output = dir.path() / "ds";
  o.format.ids = IdKind::kInteger;
  preprocess(o);
  Dataset d = Dataset::open(o.output);
  EXPECT_EQ(d.node_names(), (std::vector<std::string>{"0", "1", "2", "3"}));
  // An input numbered 0..n-1 keeps its numbers; "003" is node 3.
  EXPECT_TRUE(at::equal(d.edges(Split::kTrain), at::tensor({3, 0, 1, 1, 0, 2, 0, 0, 3}, at::kLong).view({3, 3})));
}

TEST(Preprocess, SixtyFourBitIds) {
  TempDir dir;
  auto train = dir.write("train.tsv", "a\tr\tb\nb\ts\tc\n");
  auto valid = dir.write("valid.tsv", "c\tr\ta\n");
  PreprocessOptions o = files(train, valid, "", dir.path() / "ds");
  o.id_bytes = 8;
  preprocess(o);
  Dataset d = Dataset::open(o.output);
  EXPECT_EQ(d.info().id_bytes, 8);
  EXPECT_EQ(fs::file_size(o.output / "train.edges"), 24u + 2 * 3 * 8);
  EXPECT_EQ(named_edges(d, Split::kTrain), (std::vector<std::string>{"a|r|b", "b|s|c"}));
  EXPECT_EQ(named_edges(d, Split::kValid), (std::vector<std::string>{"c|r|a"}));
}

std::string numbered_edges(int count) {
  std::string text;
  for (int i = 0; i < count; ++i) text += "n" + std::to_string(i) + "\tr" + std::to_string(i % 7) + "\tn" + std::to_string(i + 1) + "\n";
  return text;
}

TEST(Preprocess, RandomSplitIsExactReproducibleAndCoversEveryLine) {
  TempDir dir;
  auto input = dir.write("all.tsv", numbered_edges(1000));
  auto run = [&](uint64_t seed, const std::string& name) {
    PreprocessOptions o;
    o.input = input;
    o.split = parse_split("0.8,0.15,0.05");
    o.seed = seed;
    o.output = dir.path() / name;
    preprocess(o);
    return Dataset::open(o.output);
  };
  Dataset a = run(7, "a");
  Dataset b = run(7, "b");
  Dataset c = run(8, "c");
  EXPECT_EQ(a.info().num_edges[0], 800);
  EXPECT_EQ(a.info().num_edges[1], 150);
  EXPECT_EQ(a.info().num_edges[2], 50);
  std::multiset<std::string> all;
  for (Split s : kSplits) {
    EXPECT_EQ(named_edges(a, s), named_edges(b, s)) << split_name(s);
    for (const std::string& e : named_edges(a, s)) all.insert(e);
  }
  EXPECT_NE(named_edges(a, Split::kValid), named_edges(c, Split::kValid));
  std::multiset<std::string> expected;
  for (const std::string& line : testing::read_all(input)) expected.insert(line);
  EXPECT_EQ(all, expected);
  // Degrees count training edges only.
  EXPECT_EQ(a.degrees().sum().item<int64_t>(), 2 * 800);
}

TEST(Preprocess, ReplacesAnExistingDatasetAndRefusesOtherDirectories) {
  TempDir dir;
  auto one = dir.write("one.tsv", "a\tr\tb\n");
  auto two = dir.write("two.tsv", "x\tr\ty\ny\tr\tz\n");
  fs::path out = dir.path() / "ds";
  preprocess(files(one, "", "", out));
  preprocess(files(two, "", "", out));
  EXPECT_EQ(Dataset::open(out).info().num_nodes, 3);

  fs::path other = dir.path() / "notes";
  fs::create_directory(other);
  dir.write("notes/todo.txt", "keep me");
  expect_error([&] { preprocess(files(one, "", "", other)); }, MARIUS_ERR_INVALID_ARGUMENT,
               {other.string() + ": exists and is not a marius dataset (it holds \"todo.txt\", which is not a "
                                 "dataset file); refusing to replace it"});
  EXPECT_TRUE(fs::exists(other / "todo.txt"));

  fs::create_directory(dir.path() / "empty");
  preprocess(files(one, "", "", dir.path() / "empty"));
  EXPECT_EQ(Dataset::open(dir.path() / "empty").info().num_nodes, 2);
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"ds", "empty", "notes", "one.tsv", "two.tsv"}));
}

std::string contents(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A dataset directory that also holds a checkpoint, metrics or anything else (a
// training run's output.dir pointed at it) is refused, naming the first foreign
// entry, and nothing in it is deleted; the dataset files alone are replaced.
TEST(Preprocess, RefusesADatasetDirectoryHoldingFilesItDidNotWrite) {
  TempDir dir;
  auto one = dir.write("one.tsv", "a\tr\tb\n");
  auto two = dir.write("two.tsv", "x\tr\ty\ny\tr\tz\n");
  fs::path out = dir.path() / "ds";
  preprocess(files(one, "", "", out));
  std::vector<std::string> dataset = dataset_file_names();
  for (const char* const* n = adjacency_index_file_names(); *n != nullptr; ++n) dataset.emplace_back(*n);
  std::sort(dataset.begin(), dataset.end());
  EXPECT_EQ(entries(out), dataset);  // preprocess writes exactly the files it may replace

  const std::string refused = out.string() + ": exists and is not a marius dataset (it holds \"";
  for (const char* name : {"checkpoint.bin", "metrics.jsonl", "notes"}) {
    const std::string foreign = name;
    dir.write("ds/" + foreign, "keep me");
    expect_error([&] { preprocess(files(two, "", "", out)); }, MARIUS_ERR_INVALID_ARGUMENT,
                 {refused + foreign + "\", which is not a dataset file); refusing to replace it"});
    std::vector<std::string> kept = dataset;
    kept.push_back(foreign);
    std::sort(kept.begin(), kept.end());
    EXPECT_EQ(entries(out), kept) << "nothing deleted, nothing added";
    EXPECT_EQ(contents(out / foreign), "keep me");
    EXPECT_EQ(Dataset::open(out).info().num_nodes, 2);  // the old dataset, whole
    fs::remove(out / foreign);
  }
  // The first foreign entry by name is named; a subdirectory is foreign too.
  fs::create_directory(out / "partitions");
  dir.write("ds/metrics.jsonl", "");
  expect_error([&] { preprocess(files(two, "", "", out)); }, MARIUS_ERR_INVALID_ARGUMENT,
               {refused + "metrics.jsonl\""});
  fs::remove(out / "metrics.jsonl");
  expect_error([&] { preprocess(files(two, "", "", out)); }, MARIUS_ERR_INVALID_ARGUMENT,
               {refused + "partitions\""});
  fs::remove(out / "partitions");
  // Dataset file names without a dataset header are not a dataset.
  fs::path names_only = dir.path() / "names";
  fs::create_directory(names_only);
  dir.write("names/nodes.txt", "mine\n");
  expect_error([&] { preprocess(files(one, "", "", names_only)); }, MARIUS_ERR_INVALID_ARGUMENT,
               {names_only.string() + ": exists and is not a marius dataset (it has no header.bin"});
  EXPECT_EQ(contents(names_only / "nodes.txt"), "mine\n");

  preprocess(files(two, "", "", out));  // only the dataset left: replaced
  EXPECT_EQ(Dataset::open(out).info().num_nodes, 3);
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"ds", "names", "one.tsv", "two.tsv"}));
}

// ---- errors: each names the file:line or the option, and leaves no output ---------------

void expect_no_output(const TempDir& dir, const std::vector<std::string>& inputs) {
  std::vector<std::string> expected = inputs;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(entries(dir.path()), expected);
}

TEST(PreprocessErrors, MalformedLineInValid) {
  TempDir dir;
  auto train = dir.write("train.tsv", "a\tr\tb\n");
  auto valid = dir.write("valid.tsv", "a\tr\tb\nb\tc\n");
  expect_error([&] { preprocess(files(train, valid, "", dir.path() / "ds")); }, MARIUS_ERR_INVALID_ARGUMENT,
               {valid.string() + ":2: expected 3 columns (hrt) separated by tab, found 2: \"b\\tc\""});
  expect_no_output(dir, {"train.tsv", "valid.tsv"});
}

TEST(PreprocessErrors, EmptyFile) {
  TempDir dir;
  auto train = dir.write("train.tsv", "# nothing here\n\n");
  expect_error([&] { preprocess(files(train, "", "", dir.path() / "ds")); }, MARIUS_ERR_INVALID_ARGUMENT,
               {train.string() + ": no edges (every line is blank or a comment)"});
  auto empty = dir.write("empty.tsv", "");
  expect_error([&] { preprocess(files(empty, "", "", dir.path() / "ds")); }, MARIUS_ERR_INVALID_ARGUMENT,
               {empty.string() + ": no edges (the file is empty)"});
  auto header_only = dir.write("header.csv", "a,b\n");
  PreprocessOptions o = files(header_only, "", "", dir.path() / "ds");
  o.format.delimiter = ',';
  o.format.header = true;
  expect_error([&] { preprocess(o); }, MARIUS_ERR_INVALID_ARGUMENT, 
               {"header.csv: no edges (every line is blank, a comment or the header)"});
  expect_no_output(dir, {"empty.tsv", "header.csv", "train.tsv"});
}

TEST(PreprocessErrors, MissingColumnAndBadInteger) {
  TempDir dir;
  auto train = dir.write("train.tsv", "a\tr\tb\na\tr\n");
  expect_error([&] { preprocess(files(train, "", "", dir.path() / "ds")); }, MARIUS_ERR_INVALID_ARGUMENT,
               {train.string() + ":2: expected 3 columns"});
  auto numbers = dir.write("numbers.tsv", "1\t2\n2\tthree\n");
  PreprocessOptions o = files(numbers, "", "", dir.path() / "ds");
  o.format.ids = IdKind::kInteger;
  expect_error([&] { preprocess(o); }, MARIUS_ERR_INVALID_ARGUMENT,
               {numbers.string() + ":2: tail \"three\" (column 2) is not an integer"});
  expect_no_output(dir, {"numbers.tsv", "train.tsv"});
}

TEST(PreprocessErrors, MissingInputFile) {
  TempDir dir;
  auto train = dir.write("train.tsv", "a\tr\tb\n");
  expect_error([&] { preprocess(files(train, dir.path() / "valid.tsv", "", dir.path() / "ds")); },
               MARIUS_ERR_NOT_FOUND, {"valid.tsv: no such file"});
  expect_no_output(dir, {"train.tsv"});
}

TEST(PreprocessErrors, Options) {
  TempDir dir;
  auto train = dir.write("train.tsv", "a\tr\tb\n");
  PreprocessOptions none;
  none.output = dir.path() / "ds";
  expect_error([&] { preprocess(none); }, MARIUS_ERR_INVALID_ARGUMENT, {"give either --train FILE"});
  expect_error([&] { preprocess(files(train, "", "", "")); }, MARIUS_ERR_INVALID_ARGUMENT, {"--output: required"});
  PreprocessOptions no_split;
  no_split.input = train;
  no_split.output = dir.path() / "ds";
  expect_error([&] { preprocess(no_split); }, MARIUS_ERR_INVALID_ARGUMENT, {"--input needs --split"});
  expect_error([] { parse_split("0.9,0.1"); }, MARIUS_ERR_INVALID_ARGUMENT, {"--split \"0.9,0.1\": not three"});
  expect_error([] { parse_split("0.9,0.2,0.1"); }, MARIUS_ERR_INVALID_ARGUMENT, {"must sum to 1"});
  expect_error([] { parse_split("0.9,x,0.1"); }, MARIUS_ERR_INVALID_ARGUMENT, {"\"x\" is not a number"});
  expect_error([] { parse_split("0,0.5,0.5"); }, MARIUS_ERR_INVALID_ARGUMENT, {"training fraction must be above 0"});
  expect_error([] { parse_delimiter("pipe"); }, MARIUS_ERR_INVALID_ARGUMENT, {"--delimiter \"pipe\""});
  expect_no_output(dir, {"train.tsv"});
}

TEST(PreprocessErrors, SplitLeavingNoTrainingEdges) {
  TempDir dir;
  PreprocessOptions o;
  o.input = dir.write("all.tsv", "a\tb\n");
  o.split = parse_split("0.4,0.6,0");
  o.output = dir.path() / "ds";
  expect_error([&] { preprocess(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"leaves no training edges out of 1"});
  expect_no_output(dir, {"all.tsv"});
}

// ---- FB15k-237 -------------------------------------------------------------------------

TEST(PreprocessFb15k237, CountsMatchThePublishedStatistics) {
  fs::path data = fs::path(MARIUS_TEST_SOURCE_DIR) / ".." / "shared" / "datasets" / "fb15k-237";
  if (!fs::exists(data)) GTEST_SKIP() << "../shared/datasets not found; skipping FB15k-237 test";
  TempDir dir;
  preprocess(files(data / "train.tsv.gz", data / "valid.tsv", data / "test.tsv", dir.path() / "fb"));
  Dataset d = Dataset::open(dir.path() / "fb");
  EXPECT_EQ(d.info().num_nodes, 14541);
  EXPECT_EQ(d.info().num_relations, 237);
  EXPECT_EQ(d.info().num_edges[0], 272115);
  EXPECT_EQ(d.info().num_edges[1], 17535);
  EXPECT_EQ(d.info().num_edges[2], 20466);
  EXPECT_EQ(d.info().id_bytes, 4);
  EXPECT_EQ(d.degrees().sum().item<int64_t>(), 2 * 272115);
  EXPECT_EQ(d.node_names()[0], "/m/027rn");
  EXPECT_EQ(d.relation_names()[0], "/location/country/form_of_government");
}

}  // namespace
}  // namespace marius
