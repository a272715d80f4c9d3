#include "core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/error.h"

namespace marius {

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_color_mt("marius");
    l->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
    l->set_level(spdlog::level::info);
    return l;
  }();
  return *instance;
}

void set_log_level(const std::string& name) {
  static const char* const kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
  static const spdlog::level::level_enum kLevels[] = {spdlog::level::trace, spdlog::level::debug,
                                                      spdlog::level::info,  spdlog::level::warn,
                                                      spdlog::level::err,   spdlog::level::off};
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (name == kNames[i]) {
      logger().set_level(kLevels[i]);
      return;
    }
  }
  fail(MARIUS_ERR_INVALID_ARGUMENT, "log level '{}' is unknown (use trace, debug, info, warn, error or off)", name);
}

}  // namespace marius
