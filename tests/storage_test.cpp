// The storage backends: every backend stores exactly the bytes it is given (files
// written by one backend read the same through posix, and the other way round),
// reentrant backends take concurrent reads and writes of disjoint ranges, the
// memory backend's table outlives its instances, and each fault of the fault
// backend surfaces with its documented status and message while the bytes written
// before it stay readable.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "core/plugin/manifest.h"
#include "core/plugin/storage_backend.h"
#include "test_util.h"

namespace marius {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::TempDir;

constexpr uint32_t kCreate = MARIUS_OPEN_READ | MARIUS_OPEN_WRITE | MARIUS_OPEN_CREATE | MARIUS_OPEN_TRUNCATE;
constexpr uint32_t kReadWrite = MARIUS_OPEN_READ | MARIUS_OPEN_WRITE;

std::unique_ptr<StorageBackend> make_backend(const std::string& name, const OptionInputs& options = {}) {
  return std::make_unique<StorageBackend>(LoadedPlugin::load(load_manifest(testing::builtin_manifest(name))), options);
}

// The backend, or nullptr with `why` set when the machine refuses it (io_uring in
// a container whose seccomp filter blocks io_uring_setup). Other errors propagate.
std::unique_ptr<StorageBackend> backend_if_available(const std::string& name, std::string& why,
                                                     const OptionInputs& options = {}) {
  try {
    return make_backend(name, options);
  } catch (const Error& e) {
    if (e.code() != MARIUS_ERR_UNSUPPORTED || std::string(e.what()).find("is unavailable") == std::string::npos) throw;
    why = e.what();
    return nullptr;
  }
}

// `size` bytes that depend on `seed` and on the position.
std::vector<uint8_t> pattern(uint64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> bytes(size);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

std::vector<uint8_t> read_all(StorageBackend& backend, const fs::path& path) {
  auto f = backend.open(path.string(), MARIUS_OPEN_READ);
  std::vector<uint8_t> bytes(f->size());
  f->read(0, bytes.data(), bytes.size());
  return bytes;
}

// Expects `actual == expected`, reporting the first differing offset.
void expect_same_bytes(const std::vector<uint8_t>& actual, const std::vector<uint8_t>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  auto diff = std::mismatch(actual.begin(), actual.end(), expected.begin());
  EXPECT_TRUE(diff.first == actual.end()) << "first difference at byte " << (diff.first - actual.begin());
}

// ---- Backends over real files, checked against posix ------------------------------------

class FileBackend : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    backend_ = backend_if_available(GetParam(), why);
    if (!backend_) GTEST_SKIP() << why;
    posix_ = make_backend("posix");
  }
  std::unique_ptr<StorageBackend> backend_, posix_;
  TempDir dir_;
};

TEST_P(FileBackend, WhatItWritesPosixReadsIdentically) {
  const fs::path path = dir_.path() / "part_0.bin";
  std::vector<uint8_t> expected(3 * 1024 * 1024 + 4321, 0);
  auto put = [&](StorageFile& f, uint64_t offset, const std::vector<uint8_t>& bytes) {
    f.write(offset, bytes.data(), bytes.size());
    std::copy(bytes.begin(), bytes.end(), expected.begin() + static_cast<int64_t>(offset));
  };
  {
    auto f = backend_->open(path.string(), kCreate);
    put(*f, 0, pattern(300001, 1));                                // an unaligned end
    put(*f, 2 * 1024 * 1024 + 7, pattern(1024 * 1024 + 4314, 2));  // past the end: leaves a hole
    put(*f, 100000, pattern(5000, 3));                             // overwrites inside
    EXPECT_EQ(f->size(), expected.size());
    f->sync();
    f->close();
  }
  expect_same_bytes(read_all(*posix_, path), expected);
}

TEST_P(FileBackend, ReadsWhatPosixWrote) {
  const fs::path path = dir_.path() / "part_1.bin";
  std::vector<uint8_t> bytes = pattern(5 * 1024 * 1024 + 17, 4);
  {
    auto f = posix_->open(path.string(), kCreate);
    f->write(0, bytes.data(), bytes.size());
  }
  expect_same_bytes(read_all(*backend_, path), bytes);
  auto f = backend_->open(path.string(), MARIUS_OPEN_READ);
  std::vector<uint8_t> middle(1024 * 1024 + 3);
  f->read(1234567, middle.data(), middle.size());
  EXPECT_TRUE(std::equal(middle.begin(), middle.end(), bytes.begin() + 1234567));
}

TEST_P(FileBackend, SeesGrowthThroughAnotherHandle) {
  const fs::path path = dir_.path() / "grown.bin";
  auto mine = backend_->open(path.string(), kCreate);
  std::vector<uint8_t> head = pattern(8192, 5), tail = pattern(100000, 6);
  mine->write(0, head.data(), head.size());
  {
    auto other = posix_->open(path.string(), MARIUS_OPEN_WRITE);
    other->write(head.size(), tail.data(), tail.size());
  }
  EXPECT_EQ(mine->size(), head.size() + tail.size());
  std::vector<uint8_t> back(tail.size());
  mine->read(head.size(), back.data(), back.size());
  EXPECT_EQ(back, tail);
}

TEST_P(FileBackend, AReadPastTheEndNamesThePathAndRange) {
  const fs::path path = dir_.path() / "short.bin";
  auto f = backend_->open(path.string(), kCreate);
  std::vector<uint8_t> bytes = pattern(5000, 7);
  f->write(0, bytes.data(), bytes.size());
  std::vector<uint8_t> back(200);
  expect_error([&] { f->read(4900, back.data(), back.size()); }, MARIUS_ERR_OUT_OF_RANGE,
               {"read " + path.string(), "[4900, 5100)", "past the end"});
  expect_error([&] { f->read(1 << 20, back.data(), back.size()); }, MARIUS_ERR_OUT_OF_RANGE, {path.string()});
}

TEST_P(FileBackend, AReadOnlyHandleRefusesWrites) {
  const fs::path path = dir_.path() / "ro.bin";
  backend_->open(path.string(), kCreate)->write(0, "abcd", 4);
  auto f = backend_->open(path.string(), MARIUS_OPEN_READ);
  expect_error([&] { f->write(0, "x", 1); }, MARIUS_ERR_INVALID_ARGUMENT, {"write " + path.string(), "read-only"});
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Backends, FileBackend, ::testing::Values("mmap", "io_uring", "fault"), param_name);

// ---- Concurrent disjoint reads and writes -------------------------------------------------

class ReentrantBackend : public ::testing::TestWithParam<std::string> {};

// Four threads each own one region of a file that starts empty. They write their
// regions in 64 KiB pieces, interleaved so that the file grows while others write
// and read, then read them back piece by piece.
TEST_P(ReentrantBackend, FourThreadsOnDisjointRangesOfOneFile) {
  std::string why;
  auto backend = backend_if_available(GetParam(), why);
  if (!backend) GTEST_SKIP() << why;
  ASSERT_TRUE(backend->manifest().reentrant) << "only reentrant backends may be called concurrently on one file";
  TempDir dir;
  const fs::path path = dir.path() / "shared.bin";
  constexpr int kThreads = 4, kPieces = 24;
  constexpr uint64_t kPiece = 64 * 1024;
  std::vector<std::vector<uint8_t>> data;
  for (int t = 0; t < kThreads; ++t) data.push_back(pattern(kPiece * kPieces, 100 + t));
  auto offset_of = [&](int thread, int piece) { return (static_cast<uint64_t>(piece) * kThreads + thread) * kPiece; };

  auto file = backend->open(path.string(), kCreate);
  std::atomic<int> failures{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int p = 0; p < kPieces; ++p) {
          file->write(offset_of(t, p), data[t].data() + p * kPiece, kPiece);
          if (p > 0) {  // read back the previous piece while others keep writing
            std::vector<uint8_t> back(kPiece);
            file->read(offset_of(t, p - 1), back.data(), kPiece);
            if (!std::equal(back.begin(), back.end(), data[t].begin() + (p - 1) * kPiece)) {
              throw std::runtime_error("piece " + std::to_string(p - 1) + " read back wrong");
            }
          }
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
        ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], "") << "thread " << t;
  ASSERT_EQ(failures.load(), 0);
  ASSERT_EQ(file->size(), kThreads * kPieces * kPiece);
  for (int t = 0; t < kThreads; ++t) {
    for (int p = 0; p < kPieces; ++p) {
      std::vector<uint8_t> back(kPiece);
      file->read(offset_of(t, p), back.data(), kPiece);
      ASSERT_TRUE(std::equal(back.begin(), back.end(), data[t].begin() + p * kPiece))
          << "thread " << t << " piece " << p;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ReentrantBackend, ::testing::Values("posix", "mmap", "io_uring", "memory", "fault"),
                         param_name);

// ---- Backend-specific behaviour ----------------------------------------------------------

TEST(MmapBackend, OpeningForWritingAllocatesTheHolesOfASparseFile) {
  TempDir dir;
  const fs::path path = dir.path() / "sparse.bin";
  make_backend("posix")->open(path.string(), kCreate)->write(8 * 1024 * 1024, "end", 3);  // an 8 MiB hole
  auto mmap = make_backend("mmap");
  auto f = mmap->open(path.string(), kReadWrite);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  // Every block is allocated, so a store into the former hole cannot meet a full device.
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, static_cast<uint64_t>(st.st_size));
}

TEST(IoUringBackend, QueueDepthOneStillTransfersWholeRequests) {
  std::string why;
  auto backend = backend_if_available("io_uring", why, {{"queue_depth", int64_t{1}}});
  if (!backend) GTEST_SKIP() << why;
  TempDir dir;
  const fs::path path = dir.path() / "deep.bin";
  std::vector<uint8_t> bytes = pattern(9 * 1024 * 1024 + 5, 8);
  backend->open(path.string(), kCreate)->write(0, bytes.data(), bytes.size());
  expect_same_bytes(read_all(*make_backend("posix"), path), bytes);
  expect_same_bytes(read_all(*backend, path), bytes);
}

TEST(MemoryBackend, FilesAreSharedBetweenInstancesAndOutliveThem) {
  TempDir dir;
  const fs::path path = dir.path() / "table.bin";
  std::vector<uint8_t> bytes = pattern(700000, 9);
  {
    auto writer = make_backend("memory");
    auto f = writer->open(path.string(), kCreate);
    f->write(0, bytes.data(), bytes.size());
    auto reader = make_backend("memory");  // another instance sees it while open
    expect_same_bytes(read_all(*reader, path), bytes);
  }
  // Every instance (and the registry's library reference) is gone; the table is not.
  auto later = make_backend("memory");
  expect_same_bytes(read_all(*later, dir.path() / "." / "table.bin"), bytes);  // the key is the normalised path
  EXPECT_FALSE(fs::exists(path)) << "the memory backend wrote to disk";
  later->open(path.string(), kReadWrite | MARIUS_OPEN_TRUNCATE)->close();
  EXPECT_EQ(later->open(path.string(), MARIUS_OPEN_READ)->size(), 0u);
}

TEST(MemoryBackend, PathsBehaveLikeFilesOnDisk) {
  TempDir dir;
  auto backend = make_backend("memory");
  const std::string missing = (dir.path() / "missing.bin").string();
  expect_error([&] { backend->open(missing, MARIUS_OPEN_READ); }, MARIUS_ERR_NOT_FOUND, {"open " + missing});
  const std::string nodir = (dir.path() / "no" / "dir.bin").string();
  expect_error([&] { backend->open(nodir, kCreate); }, MARIUS_ERR_NOT_FOUND, {"open " + nodir});
  auto f = backend->open((dir.path() / "holes.bin").string(), kCreate);
  f->write(4096, "x", 1);
  std::vector<uint8_t> back(4097, 0xFF);
  f->read(0, back.data(), back.size());
  EXPECT_TRUE(std::all_of(back.begin(), back.begin() + 4096, [](uint8_t b) { return b == 0; }));
  EXPECT_EQ(back[4096], 'x');
}

// ---- The fault backend ---------------------------------------------------------------------

class FaultBackend : public ::testing::Test {
 protected:
  std::string file(const std::string& name) const { return (dir_.path() / name).string(); }
  std::vector<uint8_t> on_disk(const std::string& path) const { return read_all(*make_backend("posix"), path); }
  TempDir dir_;
};

TEST_F(FaultBackend, FailWriteAfterBytesKeepsWhatCameBefore) {
  auto backend = make_backend("fault", {{"fail_write_after_bytes", int64_t{10000}}});
  const std::string path = file("a.bin");
  std::vector<uint8_t> bytes = pattern(12288, 10);
  auto f = backend->open(path, kCreate);
  f->write(0, bytes.data(), 4096);
  f->write(4096, bytes.data() + 4096, 4096);
  expect_error([&] { f->write(8192, bytes.data() + 8192, 4096); }, MARIUS_ERR_IO,
               {"write " + path + " at 10000: injected write failure"});
  expect_error([&] { f->write(0, "x", 1); }, MARIUS_ERR_IO, {"write " + path + " at 0: injected write failure"});
  f->close();
  expect_same_bytes(on_disk(path), std::vector<uint8_t>(bytes.begin(), bytes.begin() + 10000));
}

TEST_F(FaultBackend, EnospcAfterBytesCountsAcrossFiles) {
  auto backend = make_backend("fault", {{"enospc_after_bytes", int64_t{10000}}});
  const std::string a = file("a.bin"), b = file("b.bin");
  std::vector<uint8_t> bytes = pattern(6000, 11);
  backend->open(a, kCreate)->write(0, bytes.data(), bytes.size());
  auto f = backend->open(b, kCreate);
  expect_error([&] { f->write(100, bytes.data(), bytes.size()); }, MARIUS_ERR_NO_SPACE,
               {"write " + b + " at 4100: No space left on device (injected)"});
  f->close();
  expect_same_bytes(on_disk(a), bytes);
  std::vector<uint8_t> expected_b(100, 0);
  expected_b.insert(expected_b.end(), bytes.begin(), bytes.begin() + 4000);
  expect_same_bytes(on_disk(b), expected_b);
}

TEST_F(FaultBackend, TheLowerWriteLimitDecides) {
  auto backend =
      make_backend("fault", {{"fail_write_after_bytes", int64_t{300}}, {"enospc_after_bytes", int64_t{200}}});
  auto f = backend->open(file("c.bin"), kCreate);
  std::vector<uint8_t> bytes = pattern(1000, 12);
  expect_error([&] { f->write(0, bytes.data(), bytes.size()); }, MARIUS_ERR_NO_SPACE, {"at 200", "(injected)"});
}

TEST_F(FaultBackend, EveryNthReadIsShort) {
  const std::string path = file("d.bin");
  std::vector<uint8_t> bytes = pattern(8192, 13);
  make_backend("posix")->open(path, kCreate)->write(0, bytes.data(), bytes.size());
  auto backend = make_backend("fault", {{"short_read_every", int64_t{3}}});
  auto f = backend->open(path, MARIUS_OPEN_READ);
  std::vector<uint8_t> back(1000);
  for (int round = 0; round < 2; ++round) {
    f->read(0, back.data(), back.size());
    f->read(0, back.data(), back.size());
    std::fill(back.begin(), back.end(), 0);
    expect_error([&] { f->read(500, back.data(), back.size()); }, MARIUS_ERR_IO,
                 {"read " + path + " at 1000: short read (injected)"});
    // The first half arrived before the fault.
    EXPECT_TRUE(std::equal(back.begin(), back.begin() + 500, bytes.begin() + 500));
  }
  f->read(0, back.data(), back.size());  // the 7th read is whole
  EXPECT_TRUE(std::equal(back.begin(), back.end(), bytes.begin()));
}

TEST_F(FaultBackend, DelaysSlowReadsAndWrites) {
  auto backend = make_backend("fault", {{"read_delay_ms", int64_t{60}}, {"write_delay_ms", int64_t{40}}});
  auto f = backend->open(file("e.bin"), kCreate);
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  f->write(0, "abcd", 4);
  auto written = clock::now();
  char back[4];
  f->read(0, back, 4);
  auto read = clock::now();
  EXPECT_GE(written - start, std::chrono::milliseconds(40));
  EXPECT_GE(read - written, std::chrono::milliseconds(60));
  EXPECT_EQ(std::string(back, 4), "abcd");
}

TEST_F(FaultBackend, FailSyncReportsThePathAndKeepsTheData) {
  auto backend = make_backend("fault", {{"fail_sync", true}});
  const std::string path = file("f.bin");
  std::vector<uint8_t> bytes = pattern(3000, 14);
  auto f = backend->open(path, kCreate);
  f->write(0, bytes.data(), bytes.size());
  expect_error([&] { f->sync(); }, MARIUS_ERR_IO, {"sync " + path + ": injected sync failure"});
  f->close();
  expect_same_bytes(on_disk(path), bytes);
}

// fault_rate: every fault is one of the documented kinds, leaves at most the first
// half of a write on disk, and the same seed meets the same faults in the same order.
TEST_F(FaultBackend, RandomFaultsAreOfTheDocumentedKindsAndFollowTheSeed) {
  auto run = [&](int64_t seed) {
    auto backend = make_backend("fault", {{"fault_rate", 0.5}, {"seed", seed}});
    const std::string path = file("g" + std::to_string(seed) + ".bin");
    std::vector<uint8_t> bytes = pattern(2000, 15);
    std::string trace;
    auto f = backend->open(path, kCreate);
    for (int i = 0; i < 60; ++i) {
      try {
        if (i % 3 == 0) f->write(0, bytes.data(), bytes.size());
        if (i % 3 == 1) {
          std::vector<uint8_t> back(bytes.size());
          f->read(0, back.data(), back.size());
        }
        if (i % 3 == 2) f->sync();
        trace += '.';
      } catch (const Error& e) {
        const std::string what = e.what();
        const bool known = what.find("injected read failure") != std::string::npos ||
                           what.find("short read (injected)") != std::string::npos ||
                           what.find("injected write failure") != std::string::npos ||
                           what.find("short write (injected)") != std::string::npos ||
                           what.find("No space left on device (injected)") != std::string::npos ||
                           what.find("injected sync failure") != std::string::npos ||
                           what.find("past the end") != std::string::npos;  // a read before the first whole write
        EXPECT_TRUE(known) << what;
        EXPECT_NE(what.find(path), std::string::npos) << what;
        trace += 'x';
      }
    }
    f->close();
    return trace;
  };
  const std::string a = run(7);
  EXPECT_NE(a.find('x'), std::string::npos);
  EXPECT_NE(a.find('.'), std::string::npos);
  EXPECT_EQ(run(7), a);  // the same seed, the same faults
  EXPECT_NE(run(8), a);
}

TEST_F(FaultBackend, OptionsOutsideTheirRangesAreRefused) {
  expect_error([&] { make_backend("fault", {{"fail_write_after_bytes", int64_t{-2}}}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"fail_write_after_bytes"});
  expect_error([&] { make_backend("fault", {{"short_read_every", int64_t{-1}}}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"short_read_every"});
  expect_error([&] { make_backend("fault", {{"fault_rate", 1.5}}); }, MARIUS_ERR_INVALID_ARGUMENT, {"fault_rate"});
}

}  // namespace
}  // namespace marius
