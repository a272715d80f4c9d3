// core/dist/bucket_service.cpp - see bucket_service.h.
#include "core/dist/bucket_service.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/error.h"

namespace marius {

std::string BucketService::key_of(int64_t epoch) { return fmt::format("marius/lp/board/{}", epoch); }

void BucketService::post(int64_t epoch, int32_t p) {
  if (cluster_.rank() != 0) fail(MARIUS_ERR_INTERNAL, "bucket service: rank {} posts a board", cluster_.rank());
  cluster_.store_set(key_of(epoch), BucketBoard(epoch, p).text());
}

void BucketService::start_epoch(int64_t epoch, int32_t p) {
  epoch_ = epoch;
  p_ = p;
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

// The workers holding partitions on `board`.
static void holders_of(const BucketBoard& board, std::vector<int32_t>& ranks) {
  for (int32_t k = 0; k < board.partitions(); ++k) {
    const int32_t r = board.holder(k);
    if (r >= 0 && std::find(ranks.begin(), ranks.end(), r) == ranks.end()) ranks.push_back(r);
  }
}

std::optional<size_t> BucketService::next(const std::vector<BoardUnit>& units, BucketBoard* seen) {
  const int32_t rank = cluster_.rank();
  const auto began = std::chrono::steady_clock::now();
  std::optional<size_t> granted;
  BucketBoard board(epoch_, p_);
  liveness_.wait_until(
      [&](std::vector<int32_t>& waiting_on) {
        board = update([&](BucketBoard& b) {
          granted = b.grant(rank, units);
          return granted.has_value();
        });
        if (granted || board.left() == 0) return true;
        holders_of(board, waiting_on);  // every state left needs a partition one of them holds
        return false;
      },
      fmt::format("epoch {}: waiting for partitions other workers hold", epoch_ + 1));
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  if (seen != nullptr) *seen = std::move(board);
  return granted;
}

void BucketService::wait_done() {
  const auto began = std::chrono::steady_clock::now();
  liveness_.wait_until(
      [&](std::vector<int32_t>& waiting_on) {
        const BucketBoard b = board();
        if (b.left() == 0 && b.running() == 0) return true;
        holders_of(b, waiting_on);
        return false;
      },
      fmt::format("epoch {}: waiting for the other workers' last states", epoch_ + 1));
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
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
