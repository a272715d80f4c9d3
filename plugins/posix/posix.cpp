// The `posix` storage backend: pread/pwrite on file descriptors. pread and pwrite
// of disjoint ranges are safe from several threads, so it is reentrant.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "marius/sdk/plugin.hpp"

struct marius_storage_file {
  int fd;
  std::string path;
  bool writable;
};

namespace {

using marius::sdk::Error;

// An error for `op` on `path` from errno, e.g. "write /x at 4096: No space left on device".
[[noreturn]] void fail_errno(int err, const std::string& op, const std::string& path, int64_t offset = -1) {
  marius_status code = err == ENOSPC || err == EDQUOT ? MARIUS_ERR_NO_SPACE
                       : err == ENOENT                 ? MARIUS_ERR_NOT_FOUND
                       : err == ENOMEM                 ? MARIUS_ERR_OUT_OF_MEMORY
                                                       : MARIUS_ERR_IO;
  std::string where = offset >= 0 ? " at " + std::to_string(offset) : "";
  throw Error(code, op + " " + path + where + ": " + std::strerror(err));
}

class Posix : public marius::sdk::StorageBackend {
 public:
  explicit Posix(const marius::sdk::Options& options) : direct_(options.get_bool("direct")) {}

  marius_storage_file* open(const marius_call_context&, const std::string& path, uint32_t flags) override {
    bool read = (flags & MARIUS_OPEN_READ) != 0, write = (flags & MARIUS_OPEN_WRITE) != 0;
    marius::sdk::require_arg(read || write, "open " + path + ": flags must include MARIUS_OPEN_READ or MARIUS_OPEN_WRITE");
    int os_flags = (read && write) ? O_RDWR : write ? O_WRONLY : O_RDONLY;
    if (flags & MARIUS_OPEN_CREATE) os_flags |= O_CREAT;
    if (flags & MARIUS_OPEN_TRUNCATE) os_flags |= O_TRUNC;
    if (direct_) os_flags |= O_DIRECT;
    int fd = ::open(path.c_str(), os_flags | O_CLOEXEC, 0644);
    if (fd < 0) fail_errno(errno, "open", path);
    return new marius_storage_file{fd, path, write};
  }

  void read(const marius_call_context&, marius_storage_file* f, uint64_t offset, void* dst, uint64_t size) override {
    auto* out = static_cast<char*>(dst);
    uint64_t done = 0;
    while (done < size) {
      ssize_t n = ::pread(f->fd, out + done, size - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail_errno(errno, "read", f->path, static_cast<int64_t>(offset + done));
      if (n == 0) {
        throw Error(MARIUS_ERR_OUT_OF_RANGE, "read " + f->path + ": range [" + std::to_string(offset) + ", " +
                                                 std::to_string(offset + size) + ") extends past the end of the file (" +
                                                 std::to_string(offset + done) + " bytes available from the start)");
      }
      done += static_cast<uint64_t>(n);
    }
  }

  void write(const marius_call_context&, marius_storage_file* f, uint64_t offset, const void* src,
             uint64_t size) override {
    if (!f->writable) throw Error(MARIUS_ERR_INVALID_ARGUMENT, "write " + f->path + ": the file was opened read-only");
    const auto* in = static_cast<const char*>(src);
    uint64_t done = 0;
    while (done < size) {
      ssize_t n = ::pwrite(f->fd, in + done, size - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail_errno(errno, "write", f->path, static_cast<int64_t>(offset + done));
      done += static_cast<uint64_t>(n);
    }
  }

  void sync(const marius_call_context&, marius_storage_file* f) override {
    if (::fdatasync(f->fd) != 0) fail_errno(errno, "sync", f->path);
  }

  uint64_t size(const marius_call_context&, marius_storage_file* f) override {
    struct stat st;
    if (::fstat(f->fd, &st) != 0) fail_errno(errno, "stat", f->path);
    return static_cast<uint64_t>(st.st_size);
  }

  void close(const marius_call_context&, marius_storage_file* f) override {
    int fd = f->fd;
    std::string path = std::move(f->path);
    delete f;
    if (::close(fd) != 0) fail_errno(errno, "close", path);
  }

 private:
  bool direct_;
};

}  // namespace

MARIUS_PLUGIN(Posix, "posix", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
