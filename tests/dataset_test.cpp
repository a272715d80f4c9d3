// Dataset::open validation: missing and unfinished directories, bad headers,
// unknown versions, truncated or inconsistent files, corrupt ids.
#include "core/data/dataset.h"

#include <fstream>

#include <ATen/ATen.h>

#include "core/data/dataset_format.h"
#include "core/data/preprocess.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace marius {
namespace {

using testing::expect_error;
using testing::TempDir;

// A small valid dataset at DIR/ds.
fs::path make_dataset(const TempDir& dir) {
  PreprocessOptions o;
  o.train = dir.write("train.tsv", "a\tr\tb\nb\tr\tc\n");
  o.valid = dir.write("valid.tsv", "c\tr\ta\n");
  o.output = dir.path() / "ds";
  preprocess(o);
  return o.output;
}

// Overwrites bytes of `file` at `offset`.
void patch(const fs::path& file, std::streamoff offset, const void* data, size_t size) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}

TEST(Dataset, SplitNames) {
  EXPECT_STREQ(split_name(Split::kTrain), "train");
  EXPECT_STREQ(split_name(Split::kValid), "valid");
  EXPECT_STREQ(split_name(Split::kTest), "test");
}

TEST(Dataset, OpensAValidDirectory) {
  TempDir dir;
  Dataset d = Dataset::open(make_dataset(dir));
  EXPECT_EQ(d.dir(), dir.path() / "ds");
  EXPECT_EQ(d.info().num_nodes, 3);
  EXPECT_EQ(d.edges(Split::kTest).sizes(), (at::IntArrayRef{0, 3}));
}

TEST(DatasetErrors, MissingDirectoryOrHeader) {
  TempDir dir;
  expect_error([&] { Dataset::open(dir.path() / "nope"); }, MARIUS_ERR_NOT_FOUND,
               {"dataset " + (dir.path() / "nope").string() + ": no such directory"});
  expect_error([&] { Dataset::open(dir.write("file", "x")); }, MARIUS_ERR_INVALID_ARGUMENT, {"not a directory"});
  fs::path ds = make_dataset(dir);
  fs::remove(ds / "header.bin");  // what an unfinished write looks like
  expect_error([&] { Dataset::open(ds); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"no header.bin: not a marius dataset, or its writing never finished"});
}

TEST(DatasetErrors, BadMagicAndUnknownVersion) {
  TempDir dir;
  fs::path ds = make_dataset(dir);
  uint32_t version = kDatasetFormatVersion + 1;
  patch(ds / "header.bin", 8, &version, sizeof version);
  expect_error([&] { Dataset::open(ds); }, MARIUS_ERR_VERSION_MISMATCH,
               {fmt::format("header.bin: dataset format version {}, but this build reads version {} only", version,
                            kDatasetFormatVersion)});
  patch(ds / "header.bin", 0, "NOTMARIU", 8);
  expect_error([&] { Dataset::open(ds); }, MARIUS_ERR_INVALID_ARGUMENT, {"header.bin: not a valid marius dataset header"});
  fs::resize_file(ds / "header.bin", 40);
  expect_error([&] { Dataset::open(ds); }, MARIUS_ERR_INVALID_ARGUMENT, {"header.bin: 40 bytes, expected 80"});
}

TEST(DatasetErrors, TruncatedOrMissingFiles) {
  TempDir dir;
  fs::path ds = make_dataset(dir);
  fs::resize_file(ds / "train.edges", fs::file_size(ds / "train.edges") - 4);
  expect_error([&] { Dataset::open(ds); }, MARIUS_ERR_INVALID_ARGUMENT,
               {(ds / "train.edges").string() + ": 44 bytes, expected 48 (truncated)"});
  fs::remove(ds / "train.edges");
  expect_error([&] { Dataset::open(ds); }, MARIUS_ERR_NOT_FOUND, {"train.edges: missing from the dataset"});

  fs::path fresh = make_dataset(dir);  // replaces the damaged one
  std::ofstream(fresh / "nodes.txt", std::ios::app) << "extra\n";
  expect_error([&] { Dataset::open(fresh); }, MARIUS_ERR_INVALID_ARGUMENT, {"nodes.txt: 12 bytes, but header.bin says 6"});
}

TEST(DatasetErrors, CountsThatDisagreeWithTheHeader) {
  TempDir dir;
  fs::path ds = make_dataset(dir);
  int64_t edges = 5;
  patch(ds / "valid.edges", 16, &edges, sizeof edges);
  expect_error([&] { Dataset::open(ds); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"valid.edges: holds 5 records of 4-byte values, but header.bin says 1 of 4-byte values"});
}

TEST(DatasetErrors, IdsOutOfRange) {
  TempDir dir;
  fs::path ds = make_dataset(dir);
  int32_t bad = 3;  // num_nodes is 3
  patch(ds / "train.edges", 24 + 12 + 8, &bad, sizeof bad);  // tail of edge 1
  Dataset d = Dataset::open(ds);
  expect_error([&] { d.edges(Split::kTrain); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"train.edges: corrupt: edge 1 has tail id 3, outside [0, 3)"});
}

}  // namespace
}  // namespace marius
