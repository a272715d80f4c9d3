// core/dist/liveness.cpp - see liveness.h.
#include "core/dist/liveness.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"

namespace marius {

namespace {

std::string alive_key(int32_t rank) { return fmt::format("marius/alive/{}", rank); }

}  // namespace

Liveness::Liveness(Cluster& cluster) : cluster_(cluster) {
  cluster_.store_add(alive_key(cluster_.rank()), 1);
  thread_ = std::thread([this] { beat(); });
}

Liveness::~Liveness() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Liveness::beat() {
  while (!stop_) {
    for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (stop_) return;
    try {
      cluster_.store_add(alive_key(cluster_.rank()), 1);
    } catch (...) {  // the store is gone (rank 0 stopped): the main thread's next call says so
      return;
    }
  }
}

void Liveness::wait_until(const std::function<bool(std::vector<int32_t>& waiting_on)>& ready,
                          const std::string& what) {
  using Clock = std::chrono::steady_clock;
  const auto timeout = cluster_.timeout();
  const size_t n = static_cast<size_t>(cluster_.world_size());
  std::vector<int64_t> beats(n, -1);
  std::vector<Clock::time_point> heard(n, Clock::now());  // silence counts from the start of the wait
  Clock::time_point last_look{};
  std::vector<int32_t> waiting_on;
  for (int64_t sleep_us = 200;; sleep_us = std::min<int64_t>(sleep_us * 2, 20000)) {
    waiting_on.clear();
    if (ready(waiting_on)) return;
    const auto now = Clock::now();
    if (now - last_look >= std::chrono::milliseconds(500)) {  // heartbeats move once a second
      last_look = now;
      for (int32_t r : waiting_on) {
        const int64_t b = cluster_.store_add(alive_key(r), 0);
        if (b != beats[r]) beats[r] = b, heard[r] = now;
      }
    }
    std::vector<int32_t> silent;
    for (int32_t r : waiting_on) {
      if (now - heard[r] >= timeout) silent.push_back(r);
    }
    if (!silent.empty()) {
      fail(MARIUS_ERR_IO,
           "distributed ({}): {}: no heartbeat from rank(s) {} for {:g} s (distributed.timeout): a worker has stopped",
           cluster_.world().describe(), what, fmt::join(silent, ", "), std::chrono::duration<double>(timeout).count());
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
}

}  // namespace marius
