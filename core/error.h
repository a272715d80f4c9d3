// core/error.h - the one exception type of the marius core.
//
// Inside the C++ core, failures are exceptions of type marius::Error carrying a
// marius_status code and a "context: detail" message that names the file, line,
// key or plugin at fault. They never cross the C ABI: every entry point the core
// hands to a plugin, and every C API function, converts them to a status.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "marius/abi/common.h"

namespace marius {

class Error : public std::runtime_error {
 public:
  Error(marius_status code, const std::string& message) : std::runtime_error(message), code_(code) {}
  marius_status code() const noexcept { return code_; }

 private:
  marius_status code_;
};

// Throws Error(code, fmt::format(format, args...)).
template <class... Args>
[[noreturn]] void fail(marius_status code, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(code, fmt::format(format, std::forward<Args>(args)...));
}

// The symbolic name of a status code, e.g. "INVALID_ARGUMENT".
const char* status_name(marius_status code) noexcept;

}  // namespace marius
