#include "core/storage/feature_pages.h"

#include <algorithm>
#include <chrono>

#include <ATen/ATen.h>

#include "core/error.h"

namespace marius {

FeaturePages::FeaturePages(FeatureFile file, std::vector<int64_t> offsets, int32_t slots, int64_t slot_rows,
                           bool normalize_rows)
    : file_(std::move(file)),
      offsets_(std::move(offsets)),
      slots_(slots),
      slot_rows_(slot_rows),
      normalize_rows_(normalize_rows),
      in_slot_(static_cast<size_t>(slots), -1) {
  const uint64_t bytes = static_cast<uint64_t>(slots) * static_cast<uint64_t>(slot_rows) * static_cast<uint64_t>(file_.dim()) * 4;
  try {
    slab_ = at::empty({static_cast<int64_t>(slots) * slot_rows, file_.dim()}, at::kFloat);
  } catch (const std::exception&) {
    fail(MARIUS_ERR_OUT_OF_MEMORY, "allocating the feature pages ({} slots of {} rows x {} features = {:.1f} MB) failed; "
         "lower storage.buffer_capacity", slots, slot_rows, file_.dim(), static_cast<double>(bytes) / 1e6);
  }
}

FeaturePages::~FeaturePages() {
  if (prefetch_.valid()) prefetch_.wait();
}

void FeaturePages::read(int32_t k, int32_t s) {
  const int64_t rows = offsets_[k + 1] - offsets_[k];
  at::Tensor into = slab_.narrow(0, static_cast<int64_t>(s) * slot_rows_, rows);
  file_.read_range(offsets_[k], rows, into.data_ptr<float>());
  if (normalize_rows_) l1_normalize_rows(into);
}

void FeaturePages::finish_prefetch() {
  if (!prefetch_.valid()) return;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::pair<int32_t, int32_t>> loads;
  loads.swap(prefetching_);
  const double busy = prefetch_.get();  // rethrows the read's error
  stats_.wait_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats_.read_seconds += busy;
  for (auto [k, s] : loads) {
    in_slot_[s] = k;
    stats_.partitions_read += 1;
    stats_.swaps += 1;
    stats_.bytes_read += static_cast<uint64_t>(offsets_[k + 1] - offsets_[k]) * file_.row_bytes();
  }
}

void FeaturePages::prefetch(const std::vector<int32_t>& current, const std::vector<int32_t>& next) {
  if (!self_assigned_) fail(MARIUS_ERR_INTERNAL, "feature pages: prefetch beside a partition buffer, which assigns the slots");
  finish_prefetch();
  auto in = [](const std::vector<int32_t>& v, int32_t k) { return std::find(v.begin(), v.end(), k) != v.end(); };
  std::vector<int32_t> spare;  // slots neither state needs
  for (int32_t s = 0; s < slots_; ++s) {
    const int32_t k = in_slot_[s];
    if (k < 0 || (!in(current, k) && !in(next, k))) spare.push_back(s);
  }
  for (int32_t k : next) {
    if (spare.empty()) break;
    if (std::find(in_slot_.begin(), in_slot_.end(), k) != in_slot_.end()) continue;
    const int32_t s = spare.back();
    spare.pop_back();
    in_slot_[s] = -1;  // claimed: holds nothing usable until the read is booked
    prefetching_.emplace_back(k, s);
  }
  if (prefetching_.empty()) return;
  prefetch_ = std::async(std::launch::async, [this, loads = prefetching_] {
    const auto start = std::chrono::steady_clock::now();
    for (auto [k, s] : loads) read(k, s);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
}

std::vector<int32_t> FeaturePages::assign(const std::vector<int32_t>& partitions) {
  finish_prefetch();
  self_assigned_ = true;
  const int32_t p = static_cast<int32_t>(offsets_.size()) - 1;
  if (static_cast<int32_t>(partitions.size()) > slots_) {
    fail(MARIUS_ERR_INTERNAL, "feature pages: a state of {} partitions for {} slots", partitions.size(), slots_);
  }
  std::vector<int32_t> slot(static_cast<size_t>(p), -1);
  std::vector<bool> taken(static_cast<size_t>(slots_), false);
  for (int32_t s = 0; s < slots_; ++s) {
    const int32_t k = in_slot_[s];
    if (k >= 0 && std::find(partitions.begin(), partitions.end(), k) != partitions.end()) slot[k] = s, taken[s] = true;
  }
  int32_t next = 0;
  for (int32_t k : partitions) {
    if (slot[k] >= 0) continue;
    while (taken[next]) ++next;  // an empty slot first would be nicer, any free one is correct
    slot[k] = next;
    taken[next] = true;
  }
  return slot;
}

void FeaturePages::load(const std::vector<int32_t>& partitions, const std::vector<int32_t>& slot) {
  for (int32_t k : partitions) {
    const int32_t s = slot[k];
    if (s < 0 || s >= slots_) fail(MARIUS_ERR_INTERNAL, "feature pages: partition {} has no slot", k);
    if (in_slot_[s] == k) continue;
    // Whatever else claims partition k's old slot has been overwritten or will be: forget it.
    for (int32_t& held : in_slot_) {
      if (held == k) held = -1;
    }
    const auto start = std::chrono::steady_clock::now();
    read(k, s);
    in_slot_[s] = k;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stats_.partitions_read += 1;
    if (!first_load_) stats_.swaps += 1;
    stats_.bytes_read += static_cast<uint64_t>(offsets_[k + 1] - offsets_[k]) * file_.row_bytes();
    stats_.read_seconds += seconds;
    stats_.wait_seconds += seconds;
  }
  first_load_ = false;
}

BufferStats FeaturePages::take_stats() {
  finish_prefetch();
  BufferStats s = stats_;
  stats_ = BufferStats{};
  first_load_ = true;
  return s;
}

void FeaturePages::abort() noexcept {
  if (prefetch_.valid()) {
    try {
      prefetch_.get();
    } catch (...) {  // the error that stopped training is the one to report
    }
  }
  prefetching_.clear();
  std::fill(in_slot_.begin(), in_slot_.end(), -1);
  stats_ = BufferStats{};
  first_load_ = true;
}

void FeaturePages::clear() {
  finish_prefetch();
  std::fill(in_slot_.begin(), in_slot_.end(), -1);
}

}  // namespace marius
