// bench/storage: how fast partitions go to files and come back through a storage
// backend plugin, the rate the partition buffer's disk tier can reach with it.
//
//   build/bin/marius-bench-storage [--backend NAME|MANIFEST.toml] [--partitions N] [--mib M]
//                                  [--dir DIR] [--set KEY=VALUE]...
//
// Writes N files of M MiB, each with one write call followed by sync and close, then
// opens each again, reads it back with one read call and checks every byte. Each
// phase is timed around the backend calls only (open to close), not around filling
// or checking buffers. Reads come from the page cache unless the backend bypasses
// it (posix or io_uring with --set direct=true). Files go to a fresh directory
// under the system temporary directory (or DIR) and are removed afterwards.
//
// Prints one JSON object, MB/s counting 10^6 bytes:
// {"benchmark":"storage","backend":"posix","partitions":8,"mib_per_partition":64,"write_mb_s":W,"read_mb_s":R,...}
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "core/config/value.h"
#include "core/error.h"
#include "core/plugin/registry.h"
#include "core/plugin/storage_backend.h"

namespace fs = std::filesystem;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// A 4096-aligned buffer, as O_DIRECT needs.
struct AlignedBuffer {
  explicit AlignedBuffer(uint64_t size) : size(size), data(static_cast<uint8_t*>(std::aligned_alloc(4096, size))) {
    if (data == nullptr) throw std::bad_alloc();
  }
  ~AlignedBuffer() { std::free(data); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  uint64_t size;
  uint8_t* data;
};

void stamp(AlignedBuffer& buffer, uint64_t partition) { std::memcpy(buffer.data, &partition, sizeof partition); }

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--backend NAME|MANIFEST.toml] [--partitions N] [--mib M] [--dir DIR] [--set KEY=VALUE]...\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string backend_name = "posix", dir_arg;
  int64_t partitions = 8, mib = 64;
  marius::OptionInputs options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--backend") backend_name = value;
    else if (flag == "--partitions") partitions = std::atoll(value.c_str());
    else if (flag == "--mib") mib = std::atoll(value.c_str());
    else if (flag == "--dir") dir_arg = value;
    else if (flag == "--set" && value.find('=') != std::string::npos) {
      options[value.substr(0, value.find('='))] = marius::parse_value_text(value.substr(value.find('=') + 1));
    } else {
      return usage(argv[0]);
    }
  }
  if (argc % 2 == 0 || partitions < 1 || mib < 1) return usage(argv[0]);

  std::random_device rd;
  fs::path dir = (dir_arg.empty() ? fs::temp_directory_path() : fs::path(dir_arg)) /
                 ("marius-bench-storage-" + std::to_string((uint64_t(rd()) << 32) ^ rd()));
  int status = 0;
  try {
    marius::PluginRegistry registry;
    registry.add_builtin();
    const marius::Manifest& manifest = registry.find(backend_name, MARIUS_KIND_STORAGE_BACKEND);
    marius::StorageBackend backend(registry.load(manifest), options);
    fs::create_directories(dir);

    const uint64_t bytes = static_cast<uint64_t>(mib) << 20;
    AlignedBuffer source(bytes), back(bytes);
    std::mt19937_64 rng(42);
    for (uint64_t i = 0; i < bytes / 8; ++i) reinterpret_cast<uint64_t*>(source.data)[i] = rng();
    auto file_of = [&](int64_t p) { return (dir / ("partition_" + std::to_string(p) + ".bin")).string(); };

    double write_seconds = 0;
    for (int64_t p = 0; p < partitions; ++p) {
      stamp(source, static_cast<uint64_t>(p));
      auto start = clock_type::now();
      auto f = backend.open(file_of(p), MARIUS_OPEN_READ | MARIUS_OPEN_WRITE | MARIUS_OPEN_CREATE |
                                            MARIUS_OPEN_TRUNCATE);
      f->write(0, source.data, bytes);
      f->sync();
      f->close();
      write_seconds += seconds_since(start);
    }

    double read_seconds = 0;
    bool verified = true;
    for (int64_t p = 0; p < partitions; ++p) {
      auto start = clock_type::now();
      auto f = backend.open(file_of(p), MARIUS_OPEN_READ);
      f->read(0, back.data, bytes);
      f->close();
      read_seconds += seconds_since(start);
      stamp(source, static_cast<uint64_t>(p));
      if (std::memcmp(source.data, back.data, bytes) != 0) {
        std::fprintf(stderr, "partition %lld read back other bytes than were written\n", static_cast<long long>(p));
        verified = false;
      }
    }

    const double total = static_cast<double>(bytes) * static_cast<double>(partitions);
    std::printf("{\"benchmark\":\"storage\",\"backend\":\"%s\",\"manifest\":\"%s\",\"partitions\":%lld,"
                "\"mib_per_partition\":%lld,\"write_seconds\":%.3f,\"read_seconds\":%.3f,"
                "\"write_mb_s\":%.1f,\"read_mb_s\":%.1f,\"verified\":%s}\n",
                manifest.name.c_str(), manifest.file.string().c_str(), static_cast<long long>(partitions),
                static_cast<long long>(mib), write_seconds, read_seconds, total / write_seconds / 1e6,
                total / read_seconds / 1e6, verified ? "true" : "false");
    status = verified ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "marius-bench-storage: %s\n", e.what());
    status = 1;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return status;
}
