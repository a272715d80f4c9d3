// Helpers shared by the tests: temporary directories, manifest files, and an
// assertion on error messages.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "test_paths.h"

namespace marius::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("marius-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::filesystem::path file = path_ / name;
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

// The bytes of a file ("" when it cannot be read).
inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs `body`, expects marius::Error with `code` whose message contains every
// one of `needles`.
template <class Body>
void expect_error(Body&& body, marius_status code, std::initializer_list<std::string> needles) {
  try {
    body();
    ADD_FAILURE() << "expected an error containing '" << *needles.begin() << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << status_name(e.code()) << ": " << e.what();
    for (const std::string& n : needles) {
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << "'" << n << "' not in: " << e.what();
    }
  }
}

inline std::string plugin_manifest(const std::string& name) {
  return std::string(MARIUS_TEST_PLUGIN_DIR) + "/" + name + ".toml";
}
inline std::string builtin_manifest(const std::string& name) {
  return std::string(MARIUS_TEST_BUILTIN_DIR) + "/" + name + ".toml";
}

}  // namespace marius::testing
