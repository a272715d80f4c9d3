// tests/fuzz/fuzz_support.h - what every fuzz target shares.
//
// A target feeds bytes to one of marius's readers the way a user's file would reach
// it. The reader may refuse the bytes with marius::Error (that is its contract: a
// clear error naming the file); anything else - another exception, a crash, a
// sanitizer report, a hang - is a bug the fuzzer reports.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/logging.h"

namespace marius::fuzz {

// A directory of this process's own, under $TMPDIR (or /dev/shm when it exists:
// the targets write a file per input), removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    auto d = base / ("marius-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

inline std::filesystem::path write_file(const std::string& name, std::string_view bytes) {
  auto file = scratch_dir() / name;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return file;
}

// Runs `body`; marius::Error is the reader's refusal and fine, anything else aborts.
template <class Body>
void expect_only_marius_errors(Body&& body) {
  try {
    body();
  } catch (const marius::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: a reader threw something other than marius::Error: %s\n", e.what());
    std::abort();
  }
}

// Quiet logs: the readers' warnings would drown the fuzzer's own output.
inline void quiet() { logger().set_level(spdlog::level::off); }

// Splits `data` into `n` parts at the first n-1 occurrences of `separator`
// (missing parts are empty): one input drives several files or arguments.
inline std::vector<std::string_view> split(std::string_view data, std::string_view separator, size_t n) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < n) {
    size_t at = data.find(separator);
    if (at == std::string_view::npos) break;
    parts.push_back(data.substr(0, at));
    data.remove_prefix(at + separator.size());
  }
  parts.push_back(data);
  parts.resize(n);
  return parts;
}

}  // namespace marius::fuzz
