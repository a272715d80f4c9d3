// Conformance checks for storage backends (see conformance.h). Works in a fresh
// temporary directory that is removed afterwards.
#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>

#include "core/conformance/conformance.h"
#include "core/error.h"
#include "core/plugin/storage_backend.h"

namespace fs = std::filesystem;

namespace marius::conformance {

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / fmt::format("marius-conformance-{:x}", (uint64_t(rd()) << 32) ^ rd());
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

void check_storage_backend(Checker& checker, std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options) {
  StorageBackend backend(plugin, options);
  checker.record(options.empty() ? "create with default options" : "create with the given options", true);
  TempDir dir;
  const std::string file = (dir.path / "data.bin").string();
  const uint64_t first = 1 << 20, second_offset = (1 << 20) + 4096, second = 4096;
  std::vector<uint8_t> pattern(first);
  std::iota(pattern.begin(), pattern.end(), uint8_t{7});
  std::vector<uint8_t> tail(second, 0xAB);

  checker.run("write, read back, size, sync and close", [&] {
    auto f = backend.open(file, MARIUS_OPEN_READ | MARIUS_OPEN_WRITE | MARIUS_OPEN_CREATE | MARIUS_OPEN_TRUNCATE);
    f->write(0, pattern.data(), pattern.size());
    f->write(second_offset, tail.data(), tail.size());
    std::vector<uint8_t> back(first);
    f->read(0, back.data(), back.size());
    require(back == pattern, "read returned other bytes than were written");
    require(f->size() == second_offset + second,
            fmt::format("size is {}, expected {}", f->size(), second_offset + second));
    f->sync();
    f->close();
  });
  checker.run("reopen read-only and read a range", [&] {
    auto f = backend.open(file, MARIUS_OPEN_READ);
    std::vector<uint8_t> back(second);
    f->read(second_offset, back.data(), back.size());
    require(back == tail, "reopened file holds other bytes");
    std::vector<uint8_t> middle(100);
    f->read(1000, middle.data(), middle.size());
    require(std::equal(middle.begin(), middle.end(), pattern.begin() + 1000), "read at an offset is wrong");
  });
  checker.run("the hole left by a write past the end reads as zeros", [&] {
    auto f = backend.open(file, MARIUS_OPEN_READ);
    std::vector<uint8_t> hole(second_offset - first, 0xFF);
    f->read(first, hole.data(), hole.size());
    require(std::all_of(hole.begin(), hole.end(), [](uint8_t b) { return b == 0; }), "the hole holds nonzero bytes");
  });
  checker.run("zero-length reads and writes succeed and change nothing", [&] {
    auto f = backend.open(file, MARIUS_OPEN_READ | MARIUS_OPEN_WRITE);
    const uint64_t end = f->size();
    uint8_t byte = 0;
    f->read(0, &byte, 0);
    f->read(end, &byte, 0);
    f->write(end, &byte, 0);
    require(f->size() == end, fmt::format("size changed from {} to {}", end, f->size()));
  });
  checker.run("CREATE keeps an existing file, TRUNCATE empties it", [&] {
    const std::string again = (dir.path / "again.bin").string();
    const uint32_t read_write = MARIUS_OPEN_READ | MARIUS_OPEN_WRITE;
    backend.open(again, read_write | MARIUS_OPEN_CREATE)->write(0, pattern.data(), 100);
    {
      auto f = backend.open(again, read_write | MARIUS_OPEN_CREATE);
      require(f->size() == 100, fmt::format("reopened with CREATE, size is {}, expected 100", f->size()));
      std::vector<uint8_t> back(100);
      f->read(0, back.data(), back.size());
      require(std::equal(back.begin(), back.end(), pattern.begin()), "reopened with CREATE, the bytes differ");
    }
    auto f = backend.open(again, read_write | MARIUS_OPEN_TRUNCATE);
    require(f->size() == 0, fmt::format("opened with TRUNCATE, size is {}, expected 0", f->size()));
  });

  const auto& vtable = plugin->vtable_as<marius_storage_vtable>();
  CallContext ctx(backend.label());
  auto open_raw = [&](const std::string& path, uint32_t flags, marius_storage_file** out) {
    return vtable.open(backend.handle(), ctx.get(), path.c_str(), flags, out);
  };
  {
    marius_storage_file* f = nullptr;
    marius_status s = open_raw((dir.path / "missing.bin").string(), MARIUS_OPEN_READ, &f);
    checker.expect_error("open of a missing file without CREATE fails", s, ctx.take_message());
    if (s == MARIUS_OK && f != nullptr) vtable.close(backend.handle(), ctx.get(), f);
  }
  {
    marius_storage_file* f = nullptr;
    marius_status s = open_raw((dir.path / "no" / "such" / "dir.bin").string(),
                               MARIUS_OPEN_WRITE | MARIUS_OPEN_CREATE, &f);
    checker.expect_error("open in a missing directory fails", s, ctx.take_message());
    if (s == MARIUS_OK && f != nullptr) vtable.close(backend.handle(), ctx.get(), f);
  }
  {
    marius_storage_file* f = nullptr;
    marius_status s = open_raw(file, MARIUS_OPEN_READ, &f);
    if (s != MARIUS_OK) {
      checker.record("reads and writes out of bounds fail", false, ctx.take_message());
    } else {
      std::vector<uint8_t> buffer(8192);
      marius_status past = vtable.read(backend.handle(), ctx.get(), f, second_offset + second - 10, buffer.data(), 100);
      checker.expect_error("read past the end fails", past, ctx.take_message());
      marius_status ro = vtable.write(backend.handle(), ctx.get(), f, 0, buffer.data(), 16);
      checker.expect_error("write to a read-only handle fails", ro, ctx.take_message());
      vtable.close(backend.handle(), ctx.get(), f);
      ctx.take_message();
    }
  }
  {
    marius_storage_file* f = nullptr;
    marius_status s = open_raw(file, MARIUS_OPEN_CREATE, &f);
    checker.expect_error("open without READ or WRITE fails", s, ctx.take_message());
    if (s == MARIUS_OK && f != nullptr) vtable.close(backend.handle(), ctx.get(), f);
  }
  {
    marius_storage_file* f = nullptr;
    marius_status s = open_raw(file, MARIUS_OPEN_WRITE, &f);
    if (s != MARIUS_OK) {
      checker.record("read from a write-only handle fails", false, "open with WRITE: " + ctx.take_message());
    } else {
      std::vector<uint8_t> buffer(16);
      marius_status wo = vtable.read(backend.handle(), ctx.get(), f, 0, buffer.data(), buffer.size());
      checker.expect_error("read from a write-only handle fails", wo, ctx.take_message());
      vtable.close(backend.handle(), ctx.get(), f);
      ctx.take_message();
    }
  }
}

}  // namespace marius::conformance
