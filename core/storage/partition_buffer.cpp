#include "core/storage/partition_buffer.h"

#include <algorithm>
#include <chrono>
#include <set>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/storage/partition_source.h"
#include "core/storage/row_bytes.h"

namespace marius {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool holds(const BufferState& state, int32_t partition) {
  return std::find(state.partitions.begin(), state.partitions.end(), partition) != state.partitions.end();
}

}  // namespace

PartitionBuffer::PartitionBuffer(PartitionSource& source, int32_t capacity, bool prefetch, c10::Device device)
    : source_(source),
      capacity_(capacity),
      slots_(slots_for(source, capacity, prefetch)),
      slot_rows_(source.max_rows()) {
  if (capacity < 1 || capacity > source.num_partitions()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "partition buffer: capacity {} must lie in [1, {}]", capacity,
         source.num_partitions());
  }
  // Uninitialised: a slot's rows are read from the source before use, and the
  // rows past a smaller partition's end are never addressed.
  embeddings_ = at::empty({slots_ * slot_rows_, source.dim()}, at::TensorOptions().dtype(at::kFloat).device(device));
  state_ = at::empty_like(embeddings_);
}

PartitionBuffer::~PartitionBuffer() { stop_threads(); }

int32_t PartitionBuffer::slots_for(const PartitionSource& source, int32_t capacity, bool prefetch) {
  return std::min(source.num_partitions(), capacity + (prefetch ? 1 : 0));
}

uint64_t PartitionBuffer::slab_bytes_for(const PartitionSource& source, int32_t capacity, bool prefetch) {
  return static_cast<uint64_t>(slots_for(source, capacity, prefetch)) * static_cast<uint64_t>(source.max_rows()) *
         node_row_bytes(source.dim());
}

uint64_t PartitionBuffer::slab_bytes() const { return slab_bytes_for(source_, capacity_, slots_ > capacity_); }

void PartitionBuffer::stop_threads() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (reader_.joinable()) reader_.join();
  if (writer_.joinable()) writer_.join();
}

namespace {

// The slot of every admission of `plan` over `slots` slots, as the reader
// makes them: state s's partitions not resident take the lowest slot that was
// free before release(s - 1), then the lowest of those release(s - 1) frees
// (release(s - 1) evicts the partitions of state s - 1 that state s does not hold).
std::vector<std::vector<int32_t>> plan_slots(const Plan& plan, int32_t slots) {
  std::vector<int32_t> slot_of(static_cast<size_t>(plan.num_partitions), -1);
  std::set<int32_t> early, late;
  for (int32_t i = 0; i < slots; ++i) early.insert(i);
  std::vector<std::vector<int32_t>> planned(plan.states.size());
  for (size_t s = 0; s < plan.states.size(); ++s) {
    const BufferState& state = plan.states[s];
    if (s > 0) {
      for (int32_t q : plan.states[s - 1].partitions) {
        if (holds(state, q)) continue;
        late.insert(slot_of[q]);
        slot_of[q] = -1;
      }
    }
    for (int32_t q : state.partitions) {
      int32_t slot = -1;
      if (slot_of[q] < 0) {
        std::set<int32_t>& pool = early.empty() ? late : early;
        if (pool.empty()) fail(MARIUS_ERR_INTERNAL, "partition buffer: state {} needs more than {} slots", s, slots);
        slot = *pool.begin();
        pool.erase(pool.begin());
        slot_of[q] = slot;
      }
      planned[s].push_back(slot);
    }
    early.insert(late.begin(), late.end());
    late.clear();
  }
  return planned;
}

}  // namespace

void PartitionBuffer::start_epoch(const Plan& plan) {
  if (reader_.joinable() || writer_.joinable()) {
    fail(MARIUS_ERR_INTERNAL, "partition buffer: start_epoch while an epoch is running");
  }
  if (plan.buffer_capacity > capacity_ || plan.num_partitions != source_.num_partitions()) {
    fail(MARIUS_ERR_INTERNAL, "partition buffer: a plan for p={} c={} does not fit a buffer of {} over {} partitions",
         plan.num_partitions, plan.buffer_capacity, capacity_, source_.num_partitions());
  }
  plan_ = &plan;
  ready_ = released_ = 0;
  where_.assign(static_cast<size_t>(source_.num_partitions()), Where::kDisk);
  slot_of_.assign(static_cast<size_t>(source_.num_partitions()), -1);
  slot_free_.assign(static_cast<size_t>(slots_), true);
  planned_ = plan_slots(plan, slots_);
  write_queue_.clear();
  reader_done_ = stop_ = false;
  error_ = nullptr;
  stats_ = BufferStats{};
  reader_ = std::thread([this] { reader_loop(); });
  writer_ = std::thread([this] { writer_loop(); });
}

void PartitionBuffer::fail_locked(std::exception_ptr error) {
  if (!error_) error_ = error;
  stop_ = true;
  changed_.notify_all();
}

void PartitionBuffer::rethrow_locked() {
  if (error_) std::rethrow_exception(error_);
  if (stop_) fail(MARIUS_ERR_INTERNAL, "partition buffer: stopped");
}

void PartitionBuffer::reader_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  try {
    const std::vector<BufferState>& states = plan_->states;
    for (size_t s = 0; s < states.size(); ++s) {
      // Only release(s - 1) may still evict before state s, and it keeps s's partitions.
      changed_.wait(lock, [&] { return stop_ || released_ + 1 >= s; });
      if (stop_) return;
      for (size_t i = 0; i < states[s].partitions.size(); ++i) {
        const int32_t q = states[s].partitions[i];
        changed_.wait(lock, [&] { return stop_ || where_[q] == Where::kDisk || where_[q] == Where::kResident; });
        if (stop_) return;
        if (where_[q] == Where::kResident) continue;
        const int32_t slot = planned_[s][i];
        if (slot < 0) fail(MARIUS_ERR_INTERNAL, "partition buffer: state {} admits partition {} without a slot", s, q);
        changed_.wait(lock, [&] { return stop_ || slot_free_[static_cast<size_t>(slot)]; });
        if (stop_) return;
        slot_free_[static_cast<size_t>(slot)] = false;
        where_[q] = Where::kLoading;
        slot_of_[q] = slot;
        lock.unlock();
        auto start = Clock::now();
        const int64_t row = static_cast<int64_t>(slot) * slot_rows_;
        at::Tensor embeddings = embeddings_.narrow(0, row, source_.rows(q)), state = state_.narrow(0, row, source_.rows(q));
        source_.read_into(q, embeddings, state);
        const double took = seconds_since(start);
        lock.lock();
        where_[q] = Where::kResident;
        stats_.read_seconds += took;
        stats_.partitions_read += 1;
        stats_.bytes_read += source_.partition_bytes(q);
        if (s > 0) stats_.swaps += 1;
      }
      ready_ = s + 1;
      changed_.notify_all();
    }
    reader_done_ = true;
    changed_.notify_all();
  } catch (...) {
    if (!lock.owns_lock()) lock.lock();
    fail_locked(std::current_exception());
  }
}

void PartitionBuffer::writer_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  try {
    const size_t num_states = plan_->states.size();
    for (;;) {
      changed_.wait(lock, [&] { return stop_ || !write_queue_.empty() || released_ == num_states; });
      if (stop_) return;
      if (write_queue_.empty()) return;  // every state released and written back
      const int32_t q = write_queue_.front();
      write_queue_.pop_front();
      const int32_t slot = slot_of_[q];
      lock.unlock();
      auto start = Clock::now();
      const int64_t row = static_cast<int64_t>(slot) * slot_rows_;
      source_.write_from(q, embeddings_.narrow(0, row, source_.rows(q)), state_.narrow(0, row, source_.rows(q)));
      const double took = seconds_since(start);
      lock.lock();
      where_[q] = Where::kDisk;
      slot_of_[q] = -1;
      slot_free_[static_cast<size_t>(slot)] = true;
      stats_.write_seconds += took;
      stats_.partitions_written += 1;
      stats_.bytes_written += source_.partition_bytes(q);
      changed_.notify_all();
    }
  } catch (...) {
    if (!lock.owns_lock()) lock.lock();
    fail_locked(std::current_exception());
  }
}

std::vector<int32_t> PartitionBuffer::acquire(size_t s) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (plan_ == nullptr || s >= plan_->states.size() || released_ != s) {
    fail(MARIUS_ERR_INTERNAL, "partition buffer: acquire({}) out of order", s);
  }
  auto start = Clock::now();
  changed_.wait(lock, [&] { return stop_ || ready_ > s; });
  stats_.wait_seconds += seconds_since(start);
  rethrow_locked();
  std::vector<int32_t> slots(where_.size(), -1);
  for (int32_t q : plan_->states[s].partitions) slots[q] = slot_of_[q];
  return slots;
}

void PartitionBuffer::release(size_t s) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (plan_ == nullptr || released_ != s || ready_ <= s) {
    fail(MARIUS_ERR_INTERNAL, "partition buffer: release({}) out of order", s);
  }
  rethrow_locked();
  const bool last = s + 1 == plan_->states.size();
  for (int32_t q = 0; q < static_cast<int32_t>(where_.size()); ++q) {
    if (where_[q] != Where::kResident) continue;
    if (!last && holds(plan_->states[s + 1], q)) continue;
    where_[q] = Where::kWriting;
    write_queue_.push_back(q);
  }
  released_ = s + 1;
  changed_.notify_all();
}

BufferStats PartitionBuffer::finish_epoch() {
  auto start = Clock::now();
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (plan_ == nullptr || (released_ != plan_->states.size() && !error_)) {
      fail(MARIUS_ERR_INTERNAL, "partition buffer: finish_epoch before every state was released");
    }
  }
  if (reader_.joinable()) reader_.join();
  if (writer_.joinable()) writer_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.wait_seconds += seconds_since(start);
  plan_ = nullptr;
  if (error_) std::rethrow_exception(error_);
  return stats_;
}

}  // namespace marius
