#include "core/data/id_dictionary.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <numeric>
#include <utility>

#include "core/error.h"

namespace marius {

namespace {
constexpr size_t kInitialSlots = 1024;
uint64_t hash_of(std::string_view name) { return std::hash<std::string_view>{}(name); }
}  // namespace

IdDictionary::IdDictionary() : offsets_{0}, slots_(kInitialSlots, -1) {}

std::string_view IdDictionary::name(int64_t id) const {
  auto i = static_cast<size_t>(id);
  return std::string_view(arena_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]);
}

size_t IdDictionary::slot_of(std::string_view name, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    int64_t id = slots_[slot];
    if (id < 0) return slot;
    if (hashes_[static_cast<size_t>(id)] == hash && this->name(id) == name) return slot;
  }
}

int64_t IdDictionary::find(std::string_view name) const { return slots_[slot_of(name, hash_of(name))]; }

int64_t IdDictionary::insert(std::string_view name) {
  uint64_t hash = hash_of(name);
  size_t slot = slot_of(name, hash);
  if (slots_[slot] >= 0) return slots_[slot];
  int64_t id = size();
  arena_.insert(arena_.end(), name.begin(), name.end());
  offsets_.push_back(arena_.size());
  hashes_.push_back(hash);
  slots_[slot] = id;
  if (hashes_.size() * 2 > slots_.size()) rehash(slots_.size() * 2);
  return id;
}

void IdDictionary::rehash(size_t slot_count) {
  slots_.assign(slot_count, -1);
  const size_t mask = slot_count - 1;
  for (size_t id = 0; id < hashes_.size(); ++id) {
    size_t slot = hashes_[id] & mask;
    while (slots_[slot] >= 0) slot = (slot + 1) & mask;
    slots_[slot] = static_cast<int64_t>(id);
  }
}

std::vector<int64_t> IdDictionary::sort_numerically() {
  const size_t n = hashes_.size();
  std::vector<int64_t> values(n);
  for (size_t i = 0; i < n; ++i) {
    std::string_view text = name(static_cast<int64_t>(i));
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), values[i]);
    if (error != std::errc() || end != text.data() + text.size()) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "id \"{}\" is not an integer", text);
    }
  }
  std::vector<int64_t> order(n);  // old ids by new id
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return values[a] < values[b]; });
  std::vector<int64_t> new_id(n);
  for (size_t k = 0; k < n; ++k) new_id[static_cast<size_t>(order[k])] = static_cast<int64_t>(k);
  renumber(new_id);
  return new_id;
}

void IdDictionary::renumber(const std::vector<int64_t>& new_id) {
  const size_t n = hashes_.size();
  std::vector<int64_t> order(n);  // old ids by new id
  for (size_t old = 0; old < n; ++old) order[static_cast<size_t>(new_id[old])] = static_cast<int64_t>(old);
  std::vector<char> arena;
  arena.reserve(arena_.size());
  std::vector<uint64_t> offsets{0};
  offsets.reserve(n + 1);
  std::vector<uint64_t> hashes;
  hashes.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    auto old = static_cast<size_t>(order[k]);
    std::string_view text = name(order[k]);
    arena.insert(arena.end(), text.begin(), text.end());
    offsets.push_back(arena.size());
    hashes.push_back(hashes_[old]);
  }
  arena_ = std::move(arena);
  offsets_ = std::move(offsets);
  hashes_ = std::move(hashes);
  rehash(slots_.size());
}

}  // namespace marius
