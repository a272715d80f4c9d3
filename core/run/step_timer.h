// core/run/step_timer.h - what every task's stages share: timing the parts of a
// batch, summing those times across workers, and naming the batch in which a
// value became non-finite.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

#include "core/error.h"
#include "core/run/task.h"

namespace marius {

// Seconds since `t`, and moves `t` to now.
inline double lap(std::chrono::steady_clock::time_point& t) {
  auto now = std::chrono::steady_clock::now();
  double s = std::chrono::duration<double>(now - t).count();
  t = now;
  return s;
}

// StepTimes added by any worker, taken (and reset) by the scheduler. Thread-safe.
class StepTimesSum {
 public:
  void add(const StepTimes& times) {
    std::lock_guard<std::mutex> lock(mutex_);
    sum_ += times;
  }
  StepTimes take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(sum_, StepTimes{});
  }

 private:
  std::mutex mutex_;
  StepTimes sum_;
};

// Throws Error(NON_FINITE) "epoch E, batch B: WHAT is not finite (NaN or
// infinity); training stopped", with the 0-based `epoch` and `batch` shown 1-based.
[[noreturn]] inline void fail_non_finite(int64_t epoch, int64_t batch, const std::string& what) {
  fail(MARIUS_ERR_NON_FINITE, "epoch {}, batch {}: {} is not finite (NaN or infinity); training stopped", epoch + 1,
       batch + 1, what);
}

// Runs `body`; an Error(NON_FINITE) from it (a plugin's NaN, named by the
// plugin) gains the epoch and batch (as fail_non_finite shows them).
template <class Body>
auto naming_batch(int64_t epoch, int64_t batch, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error& e) {
    if (e.code() == MARIUS_ERR_NON_FINITE) fail(MARIUS_ERR_NON_FINITE, "epoch {}, batch {}: {}", epoch + 1, batch + 1, e.what());
    throw;
  }
}

}  // namespace marius
