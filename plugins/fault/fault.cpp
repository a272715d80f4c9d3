// The `fault` storage backend: real files through pread/pwrite, like `posix`, with
// faults injected for tests. With every option at its default it injects nothing.
//
// Faults (counters belong to the instance and span all of its files):
//   fail_write_after_bytes = B (-1: never). Writes pass through until B bytes have
//     been written in total. The write that crosses B writes its bytes up to B and
//     then fails, and every later write fails without writing:
//     MARIUS_ERR_IO "write <path> at <first byte not written>: injected write failure".
//   enospc_after_bytes = B (-1: never). The same, as a full device:
//     MARIUS_ERR_NO_SPACE "write <path> at <offset>: No space left on device (injected)".
//     With both set, the lower limit applies; at equal limits, fail_write_after_bytes.
//   short_read_every = N (0: never). The N-th, 2N-th, ... read fills only the first
//     half of its buffer (rounded down) and fails:
//     MARIUS_ERR_IO "read <path> at <offset + half>: short read (injected)".
//     The host never retries a read: a backend that gets a short transfer from the
//     OS completes it itself (posix loops), so a short read that reaches the host is
//     a failure of the device, not a range error (that is OUT_OF_RANGE, past the end).
//   read_delay_ms, write_delay_ms = T (0: none): each read or write sleeps T ms first.
//   fail_sync (false): sync fails with MARIUS_ERR_IO "sync <path>: injected sync failure".
//   fault_rate = r in [0, 1] (0: never), seed = s: random faults for soak tests
//     (bench/soak). Each read, write and sync independently meets a fault with
//     probability r, drawn from one generator seeded with s (calls from several
//     threads draw in the order they reach it). A read's fault is a short read
//     (half the buffer filled, as above) or an IO error; a write's is an IO error
//     with nothing written, a short write (the first half written, then
//     MARIUS_ERR_IO "...: short write (injected)") or a full device (the first
//     half written, then NO_SPACE); a sync's is the sync failure above.
//   max_delay_ms = T (0: none): each read, write and sync also sleeps a random
//     0..T ms (same generator), to shift the timing of the pipeline's threads.
// Reads and writes of zero bytes do nothing: they neither count nor sleep nor fail.
//
// Threading (MARIUS_CAP_REENTRANT): pread/pwrite of disjoint ranges are safe from
// several threads; the byte budget is reserved under a mutex, the read count is
// atomic, so concurrent calls see the faults in the order they reach the counters.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "storage_common/os_file.hpp"

namespace mp = marius::plugins;
using marius::sdk::Error;

struct marius_storage_file {
  int fd;
  std::string path;
  mp::Access access;
};

namespace {

// Reads `size` bytes at `offset` in full; OUT_OF_RANGE at the end of the file.
void pread_all(const marius_storage_file& f, uint64_t offset, char* dst, uint64_t size, uint64_t request_offset,
               uint64_t request_size) {
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(f.fd, dst + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) mp::fail_errno(errno, "read", f.path, static_cast<int64_t>(offset + done));
    if (n == 0) mp::fail_past_end(f.path, request_offset, request_size, mp::fd_size(f.fd, f.path));
    done += static_cast<uint64_t>(n);
  }
}

void pwrite_all(const marius_storage_file& f, uint64_t offset, const char* src, uint64_t size) {
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(f.fd, src + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) mp::fail_errno(errno, "write", f.path, static_cast<int64_t>(offset + done));
    done += static_cast<uint64_t>(n);
  }
}

void sleep_ms(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

class Fault : public marius::sdk::StorageBackend {
 public:
  explicit Fault(const marius::sdk::Options& options)
      : fail_write_after_(options.get_int("fail_write_after_bytes")),
        enospc_after_(options.get_int("enospc_after_bytes")),
        short_read_every_(options.get_int("short_read_every")),
        read_delay_ms_(options.get_int("read_delay_ms")),
        write_delay_ms_(options.get_int("write_delay_ms")),
        fail_sync_(options.get_bool("fail_sync")),
        fault_rate_(options.get_float("fault_rate")),
        max_delay_ms_(options.get_int("max_delay_ms")),
        random_(static_cast<uint64_t>(options.get_int("seed"))) {}

  marius_storage_file* open(const marius_call_context&, const std::string& path, uint32_t flags) override {
    mp::Access access = mp::access_of(flags, path);
    int fd = mp::open_fd(path, flags);
    return new marius_storage_file{fd, path, access};
  }

  void read(const marius_call_context&, marius_storage_file* f, uint64_t offset, void* dst, uint64_t size) override {
    mp::require_access(f->access, "read", f->path);
    if (size == 0) return;
    sleep_ms(read_delay_ms_);
    auto* out = static_cast<char*>(dst);
    uint64_t n = reads_.fetch_add(1) + 1;
    const Draw draw = draw_fault(2);
    if (draw.fault == 1) {
      throw Error(MARIUS_ERR_IO, mp::where("read", f->path, static_cast<int64_t>(offset)) + ": injected read failure");
    }
    if (draw.fault == 2 || (short_read_every_ > 0 && n % static_cast<uint64_t>(short_read_every_) == 0)) {
      uint64_t half = size / 2;
      pread_all(*f, offset, out, half, offset, size);
      throw Error(MARIUS_ERR_IO, mp::where("read", f->path, static_cast<int64_t>(offset + half)) +
                                     ": short read (injected)");
    }
    pread_all(*f, offset, out, size, offset, size);
  }

  void write(const marius_call_context&, marius_storage_file* f, uint64_t offset, const void* src,
             uint64_t size) override {
    mp::require_access(f->access, "write", f->path);
    if (size == 0) return;
    sleep_ms(write_delay_ms_);
    const Draw draw = draw_fault(3);
    if (draw.fault == 1) {
      throw Error(MARIUS_ERR_IO, mp::where("write", f->path, static_cast<int64_t>(offset)) + ": injected write failure");
    }
    if (draw.fault >= 2) {
      const uint64_t half = size / 2;
      pwrite_all(*f, offset, static_cast<const char*>(src), half);
      const bool no_space = draw.fault == 3;
      throw Error(no_space ? MARIUS_ERR_NO_SPACE : MARIUS_ERR_IO,
                  mp::where("write", f->path, static_cast<int64_t>(offset + half)) + ": " +
                      (no_space ? "No space left on device (injected)" : "short write (injected)"));
    }
    Budget budget = reserve(size);
    pwrite_all(*f, offset, static_cast<const char*>(src), budget.allowed);
    if (budget.allowed < size) {
      bool no_space = budget.fault == MARIUS_ERR_NO_SPACE;
      throw Error(budget.fault, mp::where("write", f->path, static_cast<int64_t>(offset + budget.allowed)) + ": " +
                                    (no_space ? "No space left on device (injected)" : "injected write failure"));
    }
  }

  void sync(const marius_call_context&, marius_storage_file* f) override {
    if (draw_fault(1).fault != 0 || fail_sync_) throw Error(MARIUS_ERR_IO, mp::where("sync", f->path) + ": injected sync failure");
    if (::fdatasync(f->fd) != 0) mp::fail_errno(errno, "sync", f->path);
  }

  uint64_t size(const marius_call_context&, marius_storage_file* f) override { return mp::fd_size(f->fd, f->path); }

  void close(const marius_call_context&, marius_storage_file* f) override {
    int fd = f->fd;
    std::string path = std::move(f->path);
    delete f;
    mp::close_fd(fd, path);
  }

 private:
  struct Draw {
    int fault;  // 0: none, else 1..kinds
  };

  // With fault_rate > 0: whether this call meets a random fault, and which of
  // `kinds`; with max_delay_ms > 0, sleeps a random delay first.
  Draw draw_fault(int kinds) {
    if (fault_rate_ <= 0 && max_delay_ms_ <= 0) return {0};
    int64_t delay = 0;
    int fault = 0;
    {
      std::lock_guard lock(random_mu_);
      if (max_delay_ms_ > 0) delay = std::uniform_int_distribution<int64_t>(0, max_delay_ms_)(random_);
      if (fault_rate_ > 0 && std::uniform_real_distribution<double>(0, 1)(random_) < fault_rate_) {
        fault = std::uniform_int_distribution<int>(1, kinds)(random_);
      }
    }
    sleep_ms(delay);
    return {fault};
  }

  // How much of a write may pass, and the fault that stops the rest.
  struct Budget {
    uint64_t allowed;
    marius_status fault;
  };

  // Reserves up to `size` bytes of the write budget.
  Budget reserve(uint64_t size) {
    int64_t limit = -1;
    marius_status fault = MARIUS_OK;
    if (fail_write_after_ >= 0) {
      limit = fail_write_after_;
      fault = MARIUS_ERR_IO;
    }
    if (enospc_after_ >= 0 && (limit < 0 || enospc_after_ < limit)) {
      limit = enospc_after_;
      fault = MARIUS_ERR_NO_SPACE;
    }
    std::lock_guard lock(budget_mu_);
    uint64_t allowed = size;
    if (limit >= 0) {
      uint64_t room = static_cast<uint64_t>(limit) > written_ ? static_cast<uint64_t>(limit) - written_ : 0;
      allowed = std::min(size, room);
    }
    written_ += allowed;
    return Budget{allowed, fault};
  }

  const int64_t fail_write_after_, enospc_after_, short_read_every_, read_delay_ms_, write_delay_ms_;
  const bool fail_sync_;
  const double fault_rate_;
  const int64_t max_delay_ms_;
  std::mutex random_mu_;
  std::mt19937_64 random_;  // guarded by random_mu_
  std::mutex budget_mu_;
  uint64_t written_ = 0;  // bytes passed to pwrite, guarded by budget_mu_
  std::atomic<uint64_t> reads_{0};
};

}  // namespace

MARIUS_PLUGIN(Fault, "fault", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
