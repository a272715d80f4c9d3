// core/dist/bucket_board.cpp - see bucket_board.h.
#include "core/dist/bucket_board.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace marius {

BucketBoard::BucketBoard(int64_t epoch, int32_t p)
    : epoch_(epoch),
      p_(p),
      trainer_(static_cast<size_t>(p) * p, -1),
      done_(static_cast<size_t>(p) * p, 0),
      holder_(static_cast<size_t>(p), -1),
      crc_(static_cast<size_t>(p), -1) {
  if (p < 1) fail(MARIUS_ERR_INTERNAL, "bucket board: {} partitions", p);
}

std::string BucketBoard::text() const {
  nlohmann::json j = {{"epoch", epoch_}, {"p", p_},        {"version", version_}, {"trainer", trainer_},
                      {"done", done_},   {"holder", holder_}, {"crc", crc_},      {"failure", failure_}};
  return j.dump();
}

BucketBoard BucketBoard::parse(const std::string& text) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    BucketBoard b(j.at("epoch").get<int64_t>(), j.at("p").get<int32_t>());
    b.version_ = j.at("version").get<int64_t>();
    b.trainer_ = j.at("trainer").get<std::vector<int32_t>>();
    b.done_ = j.at("done").get<std::vector<char>>();
    b.holder_ = j.at("holder").get<std::vector<int32_t>>();
    b.crc_ = j.at("crc").get<std::vector<int64_t>>();
    b.failure_ = j.at("failure").get<std::string>();
    const size_t buckets = static_cast<size_t>(b.p_) * b.p_;
    if (b.trainer_.size() != buckets || b.done_.size() != buckets || b.holder_.size() != static_cast<size_t>(b.p_) ||
        b.crc_.size() != static_cast<size_t>(b.p_)) {
      fail(MARIUS_ERR_INTERNAL, "sizes do not match p = {}", b.p_);
    }
    return b;
  } catch (const nlohmann::json::exception& e) {
    fail(MARIUS_ERR_INTERNAL, "bucket board: not a board ({}): {}", e.what(), text.substr(0, 200));
  } catch (const Error& e) {
    fail(MARIUS_ERR_INTERNAL, "bucket board: not a board ({}): {}", e.what(), text.substr(0, 200));
  }
}

std::optional<size_t> BucketBoard::grant(int32_t rank, const std::vector<BoardUnit>& units) {
  if (std::find(holder_.begin(), holder_.end(), rank) != holder_.end()) {
    fail(MARIUS_ERR_INTERNAL, "bucket board: rank {} asks for buckets while holding partitions", rank);
  }
  for (size_t u = 0; u < units.size(); ++u) {
    const BoardUnit& unit = units[u];
    if (unit.buckets.empty()) continue;
    bool free = true;
    for (int32_t b : unit.buckets) {
      if (b < 0 || b >= p_ * p_) fail(MARIUS_ERR_INTERNAL, "bucket board: bucket {} of {}", b, p_ * p_);
      free = free && trainer_[b] < 0;
    }
    for (int32_t k : unit.partitions) {
      if (k < 0 || k >= p_) fail(MARIUS_ERR_INTERNAL, "bucket board: partition {} of {}", k, p_);
      free = free && holder_[k] < 0;
    }
    if (!free) continue;
    for (int32_t b : unit.buckets) trainer_[b] = rank;
    for (int32_t k : unit.partitions) holder_[k] = rank;
    ++version_;
    return u;
  }
  return std::nullopt;
}

void BucketBoard::finish(int32_t rank, const BoardUnit& unit, const std::vector<uint32_t>& crcs) {
  bool held = crcs.size() == unit.partitions.size();
  for (int32_t b : unit.buckets) held = held && b >= 0 && b < p_ * p_ && trainer_[b] == rank && !done_[b];
  for (int32_t k : unit.partitions) held = held && k >= 0 && k < p_ && holder_[k] == rank;
  if (!held) fail(MARIUS_ERR_INTERNAL, "bucket board: rank {} finishes buckets it does not hold", rank);
  for (int32_t b : unit.buckets) done_[b] = 1;
  for (size_t i = 0; i < unit.partitions.size(); ++i) {
    holder_[unit.partitions[i]] = -1;
    crc_[unit.partitions[i]] = crcs[i];
  }
  ++version_;
}

void BucketBoard::mark_failed(const std::string& why) {
  if (failure_.empty()) failure_ = why;
  ++version_;
}

int64_t BucketBoard::left() const { return std::count(trainer_.begin(), trainer_.end(), -1); }

int64_t BucketBoard::running() const {
  int64_t n = 0;
  for (size_t b = 0; b < trainer_.size(); ++b) n += trainer_[b] >= 0 && !done_[b];
  return n;
}

std::optional<uint32_t> BucketBoard::written(int32_t k) const {
  if (crc_[k] < 0) return std::nullopt;
  return static_cast<uint32_t>(crc_[k]);
}

std::string BucketBoard::describe_holders() const {
  std::map<int32_t, std::vector<int32_t>> held;
  for (int32_t k = 0; k < p_; ++k) {
    if (holder_[k] >= 0) held[holder_[k]].push_back(k);
  }
  std::string out;
  for (const auto& [rank, parts] : held) {
    if (!out.empty()) out += "; ";
    out += fmt::format("rank {} holds partition{} {}", rank, parts.size() == 1 ? "" : "s", fmt::join(parts, ", "));
  }
  return out;
}

}  // namespace marius
