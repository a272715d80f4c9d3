// core/dist/bucket_service.cpp - see bucket_service.h.
#include "core/dist/bucket_service.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"

namespace marius {

std::string BucketService::key() const { return fmt::format("marius/lp/board/{}", epoch_); }

void BucketService::start_epoch(int64_t epoch, int32_t p) {
  epoch_ = epoch;
  p_ = p;
  if (cluster_.rank() == 0) cluster_.store_set(key(), BucketBoard(epoch, p).text());
}

template <class Change>
BucketBoard BucketService::update(Change&& change) {
  if (epoch_ < 0) fail(MARIUS_ERR_INTERNAL, "bucket service: no epoch started");
  std::string text = cluster_.store_get(key());
  for (;;) {
    BucketBoard board = BucketBoard::parse(text);
    if (!board.failure().empty()) {
      fail(MARIUS_ERR_IO, "distributed ({}): epoch {}: another worker stopped: {}", cluster_.world().describe(),
           epoch_ + 1, board.failure());
    }
    if (!change(board)) return board;
    const std::string desired = board.text();
    const std::string now = cluster_.store_compare_set(key(), text, desired);
    if (now == desired) return board;  // versions never repeat: this change stuck
    text = now;
  }
}

std::optional<size_t> BucketService::next(const std::vector<BoardUnit>& units, BucketBoard* seen) {
  const int32_t rank = cluster_.rank();
  const auto timeout = cluster_.timeout();
  auto start = std::chrono::steady_clock::now();
  const auto began = start;
  int64_t last_version = -1;
  for (int64_t sleep_us = 500;; sleep_us = std::min<int64_t>(sleep_us * 2, 20000)) {
    std::optional<size_t> granted;
    BucketBoard board = update([&](BucketBoard& b) {
      granted = b.grant(rank, units);
      return granted.has_value();
    });
    if (granted || board.left() == 0) {
      wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      if (seen != nullptr) *seen = std::move(board);
      return granted;
    }
    const auto now = std::chrono::steady_clock::now();
    if (board.version() != last_version) {  // someone made progress: the timeout counts from here
      last_version = board.version();
      start = now;
    } else if (now - start >= timeout) {
      fail(MARIUS_ERR_IO,
           "distributed ({}): epoch {}: waited {:g} s (distributed.timeout) for buckets while nothing changed: {}; "
           "{} bucket(s) left. A worker that holds partitions has stopped or hangs",
           cluster_.world().describe(), epoch_ + 1, std::chrono::duration<double>(timeout).count(),
           board.describe_holders(), board.left());
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
}

void BucketService::finish(const BoardUnit& unit, const std::vector<uint32_t>& crcs) {
  const int32_t rank = cluster_.rank();
  update([&](BucketBoard& b) {
    b.finish(rank, unit, crcs);
    return true;
  });
}

void BucketService::abandon(const std::string& why) noexcept {
  try {
    if (epoch_ < 0) return;
    const std::string reason = fmt::format("rank {}: {}", cluster_.rank(), why);
    std::string text = cluster_.store_get(key());
    for (int attempt = 0; attempt < 100; ++attempt) {
      BucketBoard board = BucketBoard::parse(text);
      if (!board.failure().empty()) return;
      board.mark_failed(reason);
      const std::string desired = board.text();
      const std::string now = cluster_.store_compare_set(key(), text, desired);
      if (now == desired) return;
      text = now;
    }
  } catch (...) {  // the store itself is gone: the others see that instead
  }
}

BucketBoard BucketService::board() {
  return update([](BucketBoard&) { return false; });
}

double BucketService::take_wait_seconds() {
  const double s = wait_seconds_;
  wait_seconds_ = 0;
  return s;
}

}  // namespace marius
