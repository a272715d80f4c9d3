// The `posix` storage backend: pread/pwrite on file descriptors. pread and pwrite
// of disjoint ranges are safe from several threads, so it is reentrant.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "marius/sdk/plugin.hpp"
#include "storage_common/os_file.hpp"

struct marius_storage_file {
  int fd;
  std::string path;
  bool writable;
};

namespace {

using marius::sdk::Error;
namespace mp = marius::plugins;

class Posix : public marius::sdk::StorageBackend {
 public:
  explicit Posix(const marius::sdk::Options& options) : direct_(options.get_bool("direct")) {}

  marius_storage_file* open(const marius_call_context&, const std::string& path, uint32_t flags) override {
    int fd = mp::open_fd(path, flags, direct_ ? O_DIRECT : 0);
    return new marius_storage_file{fd, path, (flags & MARIUS_OPEN_WRITE) != 0};
  }

  void read(const marius_call_context&, marius_storage_file* f, uint64_t offset, void* dst, uint64_t size) override {
    auto* out = static_cast<char*>(dst);
    uint64_t done = 0;
    while (done < size) {
      ssize_t n = ::pread(f->fd, out + done, size - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) mp::fail_errno(errno, "read", f->path, static_cast<int64_t>(offset + done));
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
      if (n < 0) mp::fail_errno(errno, "write", f->path, static_cast<int64_t>(offset + done));
      done += static_cast<uint64_t>(n);
    }
  }

  void sync(const marius_call_context&, marius_storage_file* f) override {
    if (::fdatasync(f->fd) != 0) mp::fail_errno(errno, "sync", f->path);
  }

  uint64_t size(const marius_call_context&, marius_storage_file* f) override {
    return mp::fd_size(f->fd, f->path);
  }

  void close(const marius_call_context&, marius_storage_file* f) override {
    int fd = f->fd;
    std::string path = std::move(f->path);
    delete f;
    mp::close_fd(fd, path);
  }

 private:
  bool direct_;
};

}  // namespace

MARIUS_PLUGIN(Posix, "posix", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
