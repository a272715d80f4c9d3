#include "core/run/metrics_file.h"

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/run/task.h"
#include "marius/sdk/errno_status.hpp"

namespace marius {

nlohmann::ordered_json StepTimes::json() const {
  return {{"sample", sample}, {"gather", gather},     {"forward", forward},
          {"loss", loss},     {"backward", backward}, {"update", update}};
}

MetricsFile::MetricsFile(const std::filesystem::path& file, bool append) : file_(file) {
  out_ = std::fopen(file.c_str(), append ? "a" : "w");
  if (out_ == nullptr) {
    const int err = errno;
    fail(sdk::status_of_errno(err), "metrics {}: cannot open: {}", file.string(), std::strerror(err));
  }
}

MetricsFile::~MetricsFile() { std::fclose(out_); }

void MetricsFile::write(const nlohmann::ordered_json& record) {
  const std::string line = record.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_) != 0) {
    const int err = errno;
    fail(sdk::status_of_errno(err), "metrics {}: write failed: {}", file_.string(), std::strerror(err));
  }
}

}  // namespace marius
