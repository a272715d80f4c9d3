// core/logging.h - the host's logger.
//
// One spdlog logger named "marius" writes to stderr; plugins log into it through
// marius_host_api.log, prefixed with their name.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace marius {

// The process-wide logger (created on first use, thread-safe).
spdlog::logger& logger();

// Sets the level from a name: trace, debug, info, warn, error, off. Throws
// marius::Error(INVALID_ARGUMENT) naming the accepted values on anything else.
void set_log_level(const std::string& name);

}  // namespace marius
