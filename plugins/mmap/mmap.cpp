// The `mmap` storage backend: each open file is mapped MAP_SHARED into the address
// space, and reads and writes are memcpy to and from the mapping.
//
// Growth: a write past the end first allocates the new range with posix_fallocate,
// which also extends the file's size (so no ftruncate is needed), and then grows the
// mapping (mremap) when it is too small. Because the blocks are allocated before any
// page of them is touched, a full device is MARIUS_ERR_NO_SPACE from the write, never
// a SIGBUS. For the same reason `open` for writing allocates the holes of an existing
// sparse file. This holds on file systems whose fallocate reserves blocks (ext4, xfs,
// tmpfs); a copy-on-write file system may still fail at write-back, which `sync`
// then reports. The mapping reserves address space geometrically (at least twice the
// previous size), so appending partition after partition remaps rarely; pages past
// the end of the file are never touched.
//
// Threading (MARIUS_CAP_REENTRANT): each handle has a reader-writer lock. Reads and
// writes inside the file's current size copy under the shared lock, so disjoint
// ranges proceed in parallel; a write that grows the file, and a read past the size
// this handle knows (the file may have been grown through another handle), take the
// exclusive lock because they remap. The file must not be shrunk by anyone else
// while it is open: touching a mapped page past the end of a file raises SIGBUS.
#include <sys/mman.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "storage_common/os_file.hpp"

namespace mp = marius::plugins;
using marius::sdk::Error;

struct marius_storage_file {
  int fd = -1;
  std::string path;
  mp::Access access;
  int prot = PROT_READ;
  std::shared_mutex mu;   // shared: copies inside [0, size); exclusive: growing, remapping
  char* base = nullptr;   // the mapping, `capacity` bytes; nullptr while capacity == 0
  uint64_t capacity = 0;  // bytes mapped, a multiple of the page size, >= size
  uint64_t size = 0;      // the file's size as this handle last saw or made it
};

namespace {

uint64_t page_size() {
  static const uint64_t size = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

// posix_fallocate(fd, offset, length), retried on EINTR: allocates the blocks of the
// range and extends the file to cover it. Returns 0 or the error number.
int allocate(int fd, uint64_t offset, uint64_t length) {
  int err;
  do {
    err = ::posix_fallocate(fd, static_cast<off_t>(offset), static_cast<off_t>(length));
  } while (err == EINTR);
  return err;
}

// Makes the mapping cover at least `needed` bytes. REQUIRES: the exclusive lock.
void reserve_mapping(marius_storage_file& f, uint64_t needed) {
  if (needed <= f.capacity) return;
  uint64_t page = page_size();
  uint64_t want = f.access.write ? std::max(needed, 2 * f.capacity) : needed;
  want = (want + page - 1) / page * page;
  void* p = f.base == nullptr ? ::mmap(nullptr, want, f.prot, MAP_SHARED, f.fd, 0)
                              : ::mremap(f.base, f.capacity, want, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) mp::fail_errno(errno, "map", f.path);
  f.base = static_cast<char*>(p);
  f.capacity = want;
}

// Re-reads the file's size (another handle may have grown it) and maps it.
// REQUIRES: the exclusive lock.
void refresh(marius_storage_file& f) {
  f.size = mp::fd_size(f.fd, f.path);
  reserve_mapping(f, f.size);
}

// True when [offset, offset + size) lies inside [0, end).
bool inside(uint64_t offset, uint64_t size, uint64_t end) { return size <= end && offset <= end - size; }

class Mmap : public marius::sdk::StorageBackend {
 public:
  explicit Mmap(const marius::sdk::Options&) {}

  marius_storage_file* open(const marius_call_context&, const std::string& path, uint32_t flags) override {
    // A shared writable mapping needs a descriptor opened for reading too.
    int fd = mp::open_fd(path, flags, 0, /*read_write=*/true);
    auto f = std::make_unique<marius_storage_file>();
    f->fd = fd;
    f->path = path;
    f->access = mp::access_of(flags, path);
    f->prot = f->access.write ? PROT_READ | PROT_WRITE : PROT_READ;
    try {
      f->size = mp::fd_size(fd, path);
      if (f->access.write && f->size > 0) {
        int err = allocate(fd, 0, f->size);
        if (err != 0) mp::fail_errno(err, "allocate", path, 0);
      }
      reserve_mapping(*f, f->size);
    } catch (...) {
      if (f->base != nullptr) ::munmap(f->base, f->capacity);
      ::close(fd);
      throw;
    }
    return f.release();
  }

  void read(const marius_call_context&, marius_storage_file* f, uint64_t offset, void* dst, uint64_t size) override {
    mp::require_access(f->access, "read", f->path);
    if (size == 0) return;
    {
      std::shared_lock lock(f->mu);
      if (inside(offset, size, f->size)) {
        std::memcpy(dst, f->base + offset, size);
        return;
      }
    }
    std::unique_lock lock(f->mu);
    refresh(*f);
    if (!inside(offset, size, f->size)) mp::fail_past_end(f->path, offset, size, f->size);
    std::memcpy(dst, f->base + offset, size);
  }

  void write(const marius_call_context&, marius_storage_file* f, uint64_t offset, const void* src,
             uint64_t size) override {
    mp::require_access(f->access, "write", f->path);
    if (size == 0) return;
    if (offset > UINT64_MAX - size || offset + size > static_cast<uint64_t>(INT64_MAX)) {
      throw Error(MARIUS_ERR_INVALID_ARGUMENT, mp::where("write", f->path, -1) + ": range [" + std::to_string(offset) +
                                                   ", +" + std::to_string(size) + ") is beyond the largest file size");
    }
    const uint64_t end = offset + size;
    {
      std::shared_lock lock(f->mu);
      if (end <= f->size) {
        std::memcpy(f->base + offset, src, size);
        return;
      }
    }
    std::unique_lock lock(f->mu);
    f->size = mp::fd_size(f->fd, f->path);
    if (end > f->size) {
      int err = allocate(f->fd, f->size, end - f->size);
      if (err != 0) mp::fail_errno(err, "write", f->path, static_cast<int64_t>(offset));
      f->size = end;
    }
    reserve_mapping(*f, f->size);
    std::memcpy(f->base + offset, src, size);
  }

  void sync(const marius_call_context&, marius_storage_file* f) override {
    std::shared_lock lock(f->mu);
    int rc = f->size > 0 ? ::msync(f->base, f->size, MS_SYNC) : ::fdatasync(f->fd);
    if (rc != 0) mp::fail_errno(errno, "sync", f->path);
  }

  uint64_t size(const marius_call_context&, marius_storage_file* f) override { return mp::fd_size(f->fd, f->path); }

  void close(const marius_call_context&, marius_storage_file* f) override {
    std::unique_ptr<marius_storage_file> owned(f);
    int unmap_error = f->base != nullptr && ::munmap(f->base, f->capacity) != 0 ? errno : 0;
    int fd = f->fd;
    std::string path = std::move(f->path);
    owned.reset();
    mp::close_fd(fd, path);
    if (unmap_error != 0) mp::fail_errno(unmap_error, "unmap", path);
  }
};

}  // namespace

MARIUS_PLUGIN(Mmap, "mmap", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
