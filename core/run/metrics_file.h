// core/run/metrics_file.h - JSON lines: one record per line, flushed per line.
#pragma once

#include <cstdio>
#include <filesystem>

#include <nlohmann/json_fwd.hpp>

namespace marius {

class MetricsFile {
 public:
  // Opens `file` to append to (`append`) or to replace. Throws Error(IO)
  // naming the file.
  MetricsFile(const std::filesystem::path& file, bool append);
  ~MetricsFile();
  MetricsFile(const MetricsFile&) = delete;
  MetricsFile& operator=(const MetricsFile&) = delete;

  // Writes `record` as one line and flushes it. Throws Error(IO or NO_SPACE).
  void write(const nlohmann::ordered_json& record);

 private:
  std::filesystem::path file_;
  std::FILE* out_;
};

}  // namespace marius
