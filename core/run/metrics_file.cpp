#include "core/run/metrics_file.h"

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace marius {

MetricsFile::MetricsFile(const std::filesystem::path& file, bool append) : file_(file) {
  out_ = std::fopen(file.c_str(), append ? "a" : "w");
  if (out_ == nullptr) fail(MARIUS_ERR_IO, "metrics {}: cannot open: {}", file.string(), std::strerror(errno));
}

MetricsFile::~MetricsFile() { std::fclose(out_); }

void MetricsFile::write(const nlohmann::ordered_json& record) {
  const std::string line = record.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_) != 0) {
    const int err = errno;
    fail(err == ENOSPC || err == EDQUOT ? MARIUS_ERR_NO_SPACE : MARIUS_ERR_IO, "metrics {}: write failed: {}",
         file_.string(), std::strerror(err));
  }
}

}  // namespace marius
