// A checkpoint records the fingerprint of the dataset it was trained on (counts
// and a hash of the id dictionaries): evaluating, resuming, exporting or
// predicting against another dataset of the same shape is refused, naming both;
// the same data under another path is accepted; and a version 1 checkpoint (no
// fingerprint) still loads.
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <zlib.h>

#include "core/data/dataset.h"
#include "core/data/dataset_fingerprint.h"
#include "core/persist/checkpoint.h"
#include "core/run/session.h"
#include "train_fixture.h"

namespace marius {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class CheckpointDataset : public testing::TrainFixture {
 protected:
  // The fixture's unpartitioned graph, preprocessed again with every node id
  // renamed ("n12" -> "v12"): the same counts and edges, other ids.
  std::string renamed_dataset() {
    const fs::path out = dir_.path() / "data-renamed";
    if (fs::exists(out)) return out.string();
    const fs::path raw = fs::path(dataset(1)).parent_path() / "raw";
    const fs::path renamed = dir_.path() / "raw-renamed";
    fs::create_directories(renamed);
    for (const char* split : {"train.tsv", "valid.tsv", "test.tsv"}) {
      std::string text = slurp(raw / split);
      for (char& ch : text) {
        if (ch == 'n') ch = 'v';
      }
      std::ofstream(renamed / split, std::ios::binary) << text;
    }
    PreprocessOptions p;
    p.train = renamed / "train.tsv";
    p.valid = renamed / "valid.tsv";
    p.test = renamed / "test.tsv";
    p.output = out;
    preprocess(p);
    return out.string();
  }

  // Trains nothing: a fresh model on the fixture's dataset, saved to its output.dir.
  std::string save_fresh_model() {
    Session session(config(1, {}), {});
    session.initialize(/*resume=*/false);
    session.save();
    return session.config().output;
  }
};

TEST_F(CheckpointDataset, ResumingOnAnotherDatasetOfTheSameShapeIsRefusedNamingBoth) {
  const std::string trained_on = dataset(1);
  const std::string other = renamed_dataset();
  const DatasetFingerprint a = fingerprint_of(Dataset::open(trained_on));
  const DatasetFingerprint b = fingerprint_of(Dataset::open(other));
  ASSERT_EQ(a.num_nodes, b.num_nodes);  // the same shape ...
  ASSERT_EQ(a.num_relations, b.num_relations);
  ASSERT_EQ(a.num_edges[0], b.num_edges[0]);
  ASSERT_EQ(a.relation_ids_crc, b.relation_ids_crc);
  ASSERT_NE(a.node_ids_crc, b.node_ids_crc);  // ... other node ids

  const std::string output = save_fresh_model();
  const fs::path checkpoint = fs::path(output) / "checkpoint.bin";
  // eval, export and predict open the model the same way as train --resume.
  Session session(config(1, {"dataset.path=" + other, "output.dir=" + output}), {});
  expect_error([&] { session.initialize(/*resume=*/true); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"checkpoint " + checkpoint.string() + " was trained on " + trained_on + " (1000 nodes",
                "not on " + other + " (1000 nodes", fmt::format("dictionary hash {:016x}", a.dictionary_hash()),
                fmt::format("dictionary hash {:016x}", b.dictionary_hash())});
}

TEST_F(CheckpointDataset, TheSameDataUnderAnotherPathIsAccepted) {
  const std::string output = save_fresh_model();
  const fs::path copy = dir_.path() / "copy-of-data1";
  fs::copy(dataset(1), copy, fs::copy_options::recursive);
  Session same(config(1, {"output.dir=" + output}), {});
  EXPECT_NO_THROW(same.initialize(/*resume=*/true));
  Session moved(config(1, {"dataset.path=" + copy.string(), "output.dir=" + output}), {});
  EXPECT_NO_THROW(moved.initialize(/*resume=*/true));
}

TEST_F(CheckpointDataset, TheFingerprintRoundTripsThroughTheCheckpoint) {
  const fs::path checkpoint = fs::path(save_fresh_model()) / "checkpoint.bin";
  CheckpointInfo info;
  load_checkpoint(checkpoint, &info);
  ASSERT_TRUE(info.dataset.has_value());
  const DatasetFingerprint expected = fingerprint_of(Dataset::open(dataset(1)));
  EXPECT_TRUE(info.dataset->same_data(expected));
  EXPECT_EQ(info.dataset->dataset, dataset(1));
  EXPECT_EQ(info.dataset->describe(), expected.describe());
}

// A version 1 checkpoint has no fingerprint block: it loads, and resuming it on
// any dataset of the right counts is accepted (with a warning in the log).
TEST_F(CheckpointDataset, AVersionOneCheckpointLoadsWithoutAFingerprint) {
  const std::string output = save_fresh_model();
  const fs::path checkpoint = fs::path(output) / "checkpoint.bin";
  std::string bytes = slurp(checkpoint);
  // Version 2: magic, u32 version, u32 tensors, i64 epochs, i64 x4 shape, u64 + config text, then the fingerprint:
  // u32 present, u64 + path, i64 x6 counts, u32 x2 CRCs.
  uint64_t config_bytes = 0, path_bytes = 0;
  std::memcpy(&config_bytes, bytes.data() + 56, 8);
  const size_t block = 64 + config_bytes;
  std::memcpy(&path_bytes, bytes.data() + block + 4, 8);
  bytes.erase(block, 4 + 8 + path_bytes + 6 * 8 + 2 * 4);
  const uint32_t version = 1;
  std::memcpy(bytes.data() + 8, &version, 4);
  const auto crc = static_cast<uint32_t>(
      crc32_z(crc32_z(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data()), bytes.size() - 4));
  std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
  std::ofstream(checkpoint, std::ios::binary | std::ios::trunc) << bytes;

  CheckpointInfo info;
  Model model = load_checkpoint(checkpoint, &info);
  EXPECT_FALSE(info.dataset.has_value());
  EXPECT_EQ(model.num_nodes, 1000);
  EXPECT_NO_THROW(require_same_dataset(info, Dataset::open(renamed_dataset()), checkpoint));
  Session session(config(1, {"dataset.path=" + renamed_dataset(), "output.dir=" + output}), {});
  EXPECT_NO_THROW(session.initialize(/*resume=*/true));
}

// A corrupt length or shape behind a valid checksum (the fuzzer's find: a 4 GiB name
// length made the reader allocate and zero 4 GiB before noticing the file is short)
// is refused before anything of that size is allocated.
TEST_F(CheckpointDataset, ACorruptLengthOrShapeIsRefusedBeforeAllocatingIt) {
  const std::string output = save_fresh_model();
  const fs::path checkpoint = fs::path(output) / "checkpoint.bin";
  const std::string original = slurp(checkpoint);
  // The first tensor record follows the fingerprint block (see the test above): u32 name length, the name
  // ("embeddings"), u8 dtype, u8 dims, then i64 sizes.
  uint64_t config_bytes = 0, path_bytes = 0;
  std::memcpy(&config_bytes, original.data() + 56, 8);
  const size_t block = 64 + config_bytes;
  std::memcpy(&path_bytes, original.data() + block + 4, 8);
  const size_t name_at = block + 4 + 8 + path_bytes + 6 * 8 + 2 * 4;
  ASSERT_EQ(original.substr(name_at + 4, 10), "embeddings");
  const size_t first_size_at = name_at + 4 + 10 + 2;
  auto expect_refused = [&](size_t at, auto value, const std::string& needle) {
    std::string bytes = original;
    std::memcpy(bytes.data() + at, &value, sizeof value);
    const auto crc = static_cast<uint32_t>(
        crc32_z(crc32_z(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data()), bytes.size() - 4));
    std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
    std::ofstream(checkpoint, std::ios::binary | std::ios::trunc) << bytes;
    expect_error([&] { load_checkpoint(checkpoint, nullptr); }, MARIUS_ERR_INVALID_ARGUMENT,
                 {checkpoint.string(), needle});
  };
  expect_refused(name_at, uint32_t{0xFFFFFFFF}, "truncated");                 // a 4 GiB name
  expect_refused(first_size_at, int64_t{1} << 40, "truncated");              // 2^40 rows
  expect_refused(first_size_at, int64_t{-5}, "tensor embeddings has a negative size");
  expect_refused(first_size_at + 8, int64_t{1} << 62, "truncated");          // rows x 2^62 overflows 64 bits
}

}  // namespace
}  // namespace marius
