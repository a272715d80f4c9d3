// plugins/storage_common/os_file.hpp - what the file-backed storage plugins (posix,
// mmap, io_uring, fault, and memory's errors) share: opening a file descriptor from MARIUS_OPEN_* flags, its
// size, and the error messages of the storage ABI ("write /x at 4096: No space left
// on device"). Header-only; each plugin includes it with
// target_include_directories(<plugin> PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/..).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "marius/sdk/errno_status.hpp"
#include "marius/sdk/plugin.hpp"

namespace marius::plugins {

// The status of an OS error (marius/sdk/errno_status.hpp, shared with the core).
using marius::sdk::status_of_errno;

// "<op> <path>[ at <offset>]", the start of every storage error message; offset < 0
// leaves the position out.
inline std::string where(const std::string& op, const std::string& path, int64_t offset = -1) {
  return op + " " + path + (offset >= 0 ? " at " + std::to_string(offset) : "");
}

// Throws the error of `err` for `op` on `path`, e.g. "write /x at 4096: No space left on device".
[[noreturn]] inline void fail_errno(int err, const std::string& op, const std::string& path, int64_t offset = -1) {
  throw marius::sdk::Error(status_of_errno(err), where(op, path, offset) + ": " + std::strerror(err));
}

// Throws OUT_OF_RANGE for a read of [offset, offset + size) of a file that ends at `end`.
[[noreturn]] inline void fail_past_end(const std::string& path, uint64_t offset, uint64_t size, uint64_t end) {
  throw marius::sdk::Error(MARIUS_ERR_OUT_OF_RANGE, "read " + path + ": range [" + std::to_string(offset) + ", " +
                                                        std::to_string(offset + size) +
                                                        ") extends past the end of the file (" +
                                                        std::to_string(end) + " bytes)");
}

// What a handle may do, from the MARIUS_OPEN_* flags it was opened with.
struct Access {
  bool read = false;
  bool write = false;
};

// Checks that `flags` ask for reading or writing (INVALID_ARGUMENT otherwise).
inline Access access_of(uint32_t flags, const std::string& path) {
  Access a{(flags & MARIUS_OPEN_READ) != 0, (flags & MARIUS_OPEN_WRITE) != 0};
  marius::sdk::require_arg(a.read || a.write,
                           "open " + path + ": flags must include MARIUS_OPEN_READ or MARIUS_OPEN_WRITE");
  return a;
}

// Throws INVALID_ARGUMENT unless the handle was opened for `op` ("read" or "write").
inline void require_access(const Access& access, const std::string& op, const std::string& path) {
  if (op == "write" && !access.write) {
    throw marius::sdk::Error(MARIUS_ERR_INVALID_ARGUMENT, "write " + path + ": the file was opened read-only");
  }
  if (op == "read" && !access.read) {
    throw marius::sdk::Error(MARIUS_ERR_INVALID_ARGUMENT, "read " + path + ": the file was opened write-only");
  }
}

// Opens `path` as MARIUS_OPEN_* `flags` ask, adding `extra` (e.g. O_DIRECT) to the
// open(2) flags; `read_write` opens O_RDWR whenever writing (a shared writable
// mapping needs it). Returns the descriptor (O_CLOEXEC, mode 0644 when created) or
// throws "open <path>: <strerror>".
inline int open_fd(const std::string& path, uint32_t flags, int extra = 0, bool read_write = false) {
  Access a = access_of(flags, path);
  int os_flags = (a.read && a.write) || (a.write && read_write) ? O_RDWR : a.write ? O_WRONLY : O_RDONLY;
  if (flags & MARIUS_OPEN_CREATE) os_flags |= O_CREAT;
  if (flags & MARIUS_OPEN_TRUNCATE) os_flags |= O_TRUNC;
  int fd = ::open(path.c_str(), os_flags | extra | O_CLOEXEC, 0644);
  if (fd < 0) fail_errno(errno, "open", path);
  return fd;
}

// The size of the open file `fd` (named `path` in errors).
inline uint64_t fd_size(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) fail_errno(errno, "stat", path);
  return static_cast<uint64_t>(st.st_size);
}

// Closes `fd`, throwing "close <path>: <strerror>" when the OS reports an error
// (the descriptor is released either way).
inline void close_fd(int fd, const std::string& path) {
  if (::close(fd) != 0) fail_errno(errno, "close", path);
}

}  // namespace marius::plugins
