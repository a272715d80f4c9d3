// The `io_uring` storage backend: reads and writes go through one io_uring per open
// file (liburing). A request is split into pieces of at most 1 MiB, up to
// `queue_depth` pieces are in flight at once, and the call returns when every piece
// has completed; a short completion is resubmitted for its remainder, so a read or
// write is always whole or an error. `sync` is fdatasync, `size` fstat.
//
// Availability: `create` sets up a probe ring. When the kernel refuses io_uring
// (ENOSYS: built without it; EPERM: the kernel.io_uring_disabled sysctl or a seccomp
// filter, as container runtimes install, blocks io_uring_setup), `create` fails with
// MARIUS_ERR_UNSUPPORTED "io_uring is unavailable: ...". `open` reports the same if
// its own ring cannot be set up.
//
// Threading (MARIUS_CAP_REENTRANT): a mutex per file guards its ring; concurrent
// calls on one file are safe and run one after the other, calls on different files
// run in parallel.
#include <liburing.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "storage_common/os_file.hpp"

namespace mp = marius::plugins;
using marius::sdk::Error;

struct marius_storage_file {
  int fd = -1;
  std::string path;
  mp::Access access;
  std::mutex mu;  // guards ring and broken
  struct io_uring ring;
  bool broken = false;  // a submission failed beyond repair; every later read and write fails
};

namespace {

constexpr uint64_t kPieceBytes = 1 << 20;  // a multiple of 4096, so O_DIRECT pieces stay aligned

// Why io_uring_queue_init failed with `err` (positive errno).
std::string unavailable_reason(int err) {
  std::string os = std::strerror(err);
  switch (err) {
    case ENOSYS: return os + " (the kernel was built without io_uring)";
    case EPERM:
      return os + " (io_uring_setup is blocked: the kernel.io_uring_disabled sysctl, or a seccomp filter such as a "
                  "container runtime's)";
    case ENOMEM: return os + " (the ring does not fit the locked-memory limit, ulimit -l)";
    default: return os;
  }
}

// Sets up `ring` with `entries` entries. ENOSYS and EPERM mean io_uring is refused
// on this machine (UNSUPPORTED "io_uring is unavailable: ..."); other failures are
// errors of `op` on `path`.
void init_ring(struct io_uring& ring, unsigned entries, const std::string& op, const std::string& path) {
  int rc = io_uring_queue_init(entries, &ring, 0);
  if (rc == 0) return;
  int err = -rc;
  if (err == ENOSYS || err == EPERM) {
    throw Error(MARIUS_ERR_UNSUPPORTED, (path.empty() ? "" : mp::where(op, path) + ": ") +
                                            "io_uring is unavailable: io_uring_queue_init failed: " +
                                            unavailable_reason(err));
  }
  throw Error(mp::status_of_errno(err), (path.empty() ? op : mp::where(op, path)) +
                                            ": io_uring_queue_init failed: " + unavailable_reason(err));
}

// Fails with UNSUPPORTED unless the kernel accepts io_uring and its READ and WRITE
// operations (Linux 5.6 or newer).
void probe(unsigned entries) {
  struct io_uring ring;
  init_ring(ring, entries, "create", "");
  struct io_uring_probe* p = io_uring_get_probe_ring(&ring);
  bool ok = p != nullptr && io_uring_opcode_supported(p, IORING_OP_READ) &&
            io_uring_opcode_supported(p, IORING_OP_WRITE);
  if (p != nullptr) io_uring_free_probe(p);
  io_uring_queue_exit(&ring);
  if (!ok) {
    throw Error(MARIUS_ERR_UNSUPPORTED, "io_uring is unavailable: the kernel lacks IORING_OP_READ/IORING_OP_WRITE "
                                        "(Linux 5.6 or newer is needed)");
  }
}

// One piece of a request: what remains of it to transfer.
struct Piece {
  uint64_t offset;
  char* data;
  uint64_t length;
};

class IoUring : public marius::sdk::StorageBackend {
 public:
  explicit IoUring(const marius::sdk::Options& options)
      : depth_(static_cast<unsigned>(options.get_int("queue_depth"))), direct_(options.get_bool("direct")) {
    marius::sdk::require_arg(options.get_int("queue_depth") >= 1 && options.get_int("queue_depth") <= 4096,
                             "queue_depth must lie in [1, 4096]");
    probe(depth_);
  }

  marius_storage_file* open(const marius_call_context&, const std::string& path, uint32_t flags) override {
    int fd = mp::open_fd(path, flags, direct_ ? O_DIRECT : 0);
    auto f = std::make_unique<marius_storage_file>();
    f->fd = fd;
    f->path = path;
    f->access = mp::access_of(flags, path);
    try {
      init_ring(f->ring, depth_, "open", path);
    } catch (...) {
      ::close(fd);
      throw;
    }
    return f.release();
  }

  void read(const marius_call_context&, marius_storage_file* f, uint64_t offset, void* dst, uint64_t size) override {
    mp::require_access(f->access, "read", f->path);
    transfer(*f, false, offset, static_cast<char*>(dst), size);
  }

  void write(const marius_call_context&, marius_storage_file* f, uint64_t offset, const void* src,
             uint64_t size) override {
    mp::require_access(f->access, "write", f->path);
    transfer(*f, true, offset, const_cast<char*>(static_cast<const char*>(src)), size);
  }

  void sync(const marius_call_context&, marius_storage_file* f) override {
    if (::fdatasync(f->fd) != 0) mp::fail_errno(errno, "sync", f->path);
  }

  uint64_t size(const marius_call_context&, marius_storage_file* f) override { return mp::fd_size(f->fd, f->path); }

  void close(const marius_call_context&, marius_storage_file* f) override {
    std::unique_ptr<marius_storage_file> owned(f);
    io_uring_queue_exit(&f->ring);
    int fd = f->fd;
    std::string path = std::move(f->path);
    owned.reset();
    mp::close_fd(fd, path);
  }

 private:
  // Transfers [offset, offset + size) between the file and `data`, with up to depth_
  // pieces in flight. Returns only after every submitted piece has completed, also
  // on failure, so the kernel never touches `data` after the call. The error
  // reported is the one at the lowest offset.
  void transfer(marius_storage_file& f, bool is_write, uint64_t offset, char* data, uint64_t size) {
    if (size == 0) return;
    std::vector<Piece> pieces;
    pieces.reserve((size + kPieceBytes - 1) / kPieceBytes);
    for (uint64_t done = 0; done < size; done += kPieceBytes) {
      pieces.push_back(Piece{offset + done, data + done, std::min(kPieceBytes, size - done)});
    }
    std::deque<Piece*> ready;
    for (Piece& p : pieces) ready.push_back(&p);

    std::optional<std::pair<uint64_t, int>> error;  // (offset, errno) of the lowest failure
    bool end_of_file = false;                       // a read found the end of the file
    auto note_error = [&](uint64_t at, int err) {
      if (!error || at < error->first) error = std::make_pair(at, err);
    };
    const char* op = is_write ? "write" : "read";

    std::lock_guard lock(f.mu);
    if (f.broken) {
      throw Error(MARIUS_ERR_IO, mp::where(op, f.path, static_cast<int64_t>(offset)) +
                                     ": an earlier io_uring submission failed; reopen the file");
    }
    unsigned in_flight = 0;
    while (in_flight > 0 || (!ready.empty() && !error && !end_of_file)) {
      while (!ready.empty() && !error && !end_of_file && in_flight < depth_) {
        struct io_uring_sqe* sqe = io_uring_get_sqe(&f.ring);
        if (sqe == nullptr) break;
        Piece* p = ready.front();
        ready.pop_front();
        auto length = static_cast<unsigned>(p->length);
        if (is_write) {
          io_uring_prep_write(sqe, f.fd, p->data, length, p->offset);
        } else {
          io_uring_prep_read(sqe, f.fd, p->data, length, p->offset);
        }
        io_uring_sqe_set_data(sqe, p);
        ++in_flight;
      }
      int rc = io_uring_submit_and_wait(&f.ring, 1);
      if (rc < 0) {
        if (rc == -EINTR) continue;
        if (rc == -EAGAIN || rc == -EBUSY) {  // the kernel is short of resources: reap, then retry
          std::this_thread::yield();
        } else {
          // The ring cannot be entered, so the pieces in flight cannot be waited for.
          f.broken = true;
          throw Error(MARIUS_ERR_INTERNAL, mp::where(op, f.path, static_cast<int64_t>(offset)) +
                                               ": io_uring_submit_and_wait failed: " + std::strerror(-rc) +
                                               "; the handle is unusable");
        }
      }
      unsigned head, seen = 0;
      struct io_uring_cqe* cqe;
      io_uring_for_each_cqe(&f.ring, head, cqe) {
        ++seen;
        --in_flight;
        auto* p = static_cast<Piece*>(io_uring_cqe_get_data(cqe));
        int res = cqe->res;
        if (res == -EINTR || res == -EAGAIN) {
          ready.push_front(p);
        } else if (res < 0) {
          note_error(p->offset, -res);
        } else if (res == 0) {
          if (is_write) {
            note_error(p->offset, EIO);  // no progress on a write: never expected from the kernel
          } else {
            end_of_file = true;
          }
        } else {
          p->offset += static_cast<uint64_t>(res);
          p->data += res;
          p->length -= static_cast<uint64_t>(res);
          if (p->length > 0) ready.push_front(p);  // a short transfer: submit the rest
        }
      }
      io_uring_cq_advance(&f.ring, seen);
    }
    if (error) mp::fail_errno(error->second, op, f.path, static_cast<int64_t>(error->first));
    if (end_of_file) mp::fail_past_end(f.path, offset, size, mp::fd_size(f.fd, f.path));
  }

  unsigned depth_;
  bool direct_;
};

}  // namespace

MARIUS_PLUGIN(IoUring, "io_uring", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
