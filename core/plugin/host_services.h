// core/plugin/host_services.h - what the host hands to plugins: the services
// table (marius_host_api), random streams and the per-call context with its
// error slot.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>

#include "marius/abi.h"

// The definition behind the ABI's opaque marius_rng: a 64-bit Mersenne Twister,
// whose output sequence the C++ standard fixes, so seeded runs are reproducible
// on every platform.
struct marius_rng {
  std::mt19937_64 engine;
};

namespace marius {

// The services table; lives as long as the process.
const marius_host_api* host_api();

// marius_host_api.set_error: stores the message in the CallContext that made the call.
marius_status host_set_error(const marius_call_context* ctx, marius_status code, const char* message,
                             uint64_t length) noexcept;

// An owned random stream to hand to plugins.
class RandomStream {
 public:
  explicit RandomStream(uint64_t seed) { rng_.engine.seed(seed); }
  marius_rng* get() { return &rng_; }

 private:
  marius_rng rng_;
};

// The context of plugin calls made from one thread: the C struct plus the slot
// set_error writes into. Not thread-safe: one per calling thread.
class CallContext {
 public:
  // `label` prefixes error messages, e.g. "plugin 'distmult' (/path/distmult.toml)".
  explicit CallContext(std::string label, marius_rng* rng = nullptr, uint32_t thread_index = 0);
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;

  const marius_call_context* get() const { return &ctx_; }
  void set_rng(marius_rng* rng) { ctx_.rng = rng; }
  // The DLDeviceType and index of the tensors the calls pass (default: kDLCPU, 0).
  void set_device(int32_t device_type, int32_t device_id) {
    ctx_.device_type = device_type;
    ctx_.device_id = device_id;
  }

  // Throws Error(status, "<label>: <slot> failed: <message>") unless status is
  // MARIUS_OK. A status the host does not know becomes MARIUS_ERR_INTERNAL. The
  // slot is cleared either way.
  void check(marius_status status, const char* slot);

  // The last message set_error stored ("" if none).
  const std::string& last_message() const { return message_; }
  // Returns the last message and clears it (for callers that inspect raw statuses).
  std::string take_message() { return std::exchange(message_, std::string()); }

 private:
  friend marius_status host_set_error(const marius_call_context*, marius_status, const char*, uint64_t) noexcept;
  std::string label_;
  std::string message_;
  marius_call_context ctx_{};
};

}  // namespace marius
