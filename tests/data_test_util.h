// Helpers shared by the tests of core/data: gzip files and reading edge lists
// back as strings.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <zlib.h>

#include "core/data/edge_list_reader.h"
#include "test_util.h"

namespace marius::testing {

// Writes `text` gzip-compressed to DIR/NAME.
inline std::filesystem::path write_gz(const TempDir& dir, const std::string& name, const std::string& text) {
  std::filesystem::path file = dir.path() / name;
  gzFile gz = gzopen(file.c_str(), "wb");
  EXPECT_NE(gz, nullptr);
  EXPECT_EQ(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  EXPECT_EQ(gzclose(gz), Z_OK);
  return file;
}

// Every edge of a file as "head|relation|tail" ("head|tail" for plain graphs).
inline std::vector<std::string> read_all(const std::filesystem::path& file, const EdgeListFormat& format = {}) {
  EdgeListReader reader(file, format);
  std::vector<std::string> out;
  EdgeFields e;
  while (reader.next(e)) {
    std::string row = std::string(e.head) + "|";
    if (reader.format().columns.has_relations()) row += std::string(e.relation) + "|";
    out.push_back(row + std::string(e.tail));
  }
  return out;
}

}  // namespace marius::testing
