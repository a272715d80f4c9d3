// core/pipeline/bounded_queue.h - a blocking FIFO of bounded capacity between two
// pipeline stages.
//
// push() blocks while the queue is full, pop() while it is empty; both return
// false once close() was called (items still queued are dropped: close() is
// for shutdown after an error or after the last batch). Waiting is on
// condition variables, never by polling. The queue records the depth after
// every push, for the pipeline's monitor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>

namespace marius {

struct QueueStats {
  int64_t capacity = 0;
  int64_t pushes = 0;
  int64_t depth_sum = 0;  // sum over pushes of the depth just after the push
  int64_t max_depth = 0;
  double mean_depth() const { return pushes > 0 ? static_cast<double>(depth_sum) / pushes : 0.0; }
};

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(int64_t capacity) { stats_.capacity = capacity; }

  // Appends `item`; blocks while full. Returns false (and drops `item`) when
  // the queue is closed.
  bool push(T item) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || static_cast<int64_t>(items_.size()) < stats_.capacity; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    const int64_t depth = static_cast<int64_t>(items_.size());
    ++stats_.pushes;
    stats_.depth_sum += depth;
    if (depth > stats_.max_depth) stats_.max_depth = depth;
    not_empty_.notify_one();
    return true;
  }

  // Takes the oldest item; blocks while empty. Returns false when closed.
  bool pop(T& item) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (closed_) return false;
    item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return true;
  }

  // Wakes every waiter; later pushes and pops fail. Drops queued items.
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    items_.clear();
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  QueueStats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  bool closed_ = false;
  QueueStats stats_;
};

}  // namespace marius
