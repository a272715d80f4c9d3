// core/tasks/link_prediction/edge_set.h - the set of true training triples, for filtering
// negatives (negatives.filtered).
#pragma once

#include <cstdint>
#include <unordered_set>

#include <ATen/core/Tensor.h>

namespace marius {

// The set of (head, relation, tail) triples, for filtering negatives.
class EdgeSet {
 public:
  // `edges` int64 [E, 3], contiguous.
  explicit EdgeSet(const at::Tensor& edges) {
    const int64_t* e = edges.data_ptr<int64_t>();
    set_.reserve(static_cast<size_t>(edges.size(0)) * 2);
    for (int64_t i = 0; i < edges.size(0); ++i) set_.insert(key(e[3 * i], e[3 * i + 1], e[3 * i + 2]));
  }
  bool contains(int64_t h, int64_t r, int64_t t) const { return set_.count(key(h, r, t)) != 0; }

 private:
  static uint64_t key(int64_t h, int64_t r, int64_t t) {
    // Mixes the three ids into 64 bits; a collision only filters one extra negative.
    uint64_t x = static_cast<uint64_t>(h) * 0x9E3779B97F4A7C15ULL;
    x ^= static_cast<uint64_t>(r) * 0xC2B2AE3D27D4EB4FULL + (x << 6) + (x >> 2);
    x ^= static_cast<uint64_t>(t) * 0x165667B19E3779F9ULL + (x << 6) + (x >> 2);
    return x;
  }
  std::unordered_set<uint64_t> set_;
};

}  // namespace marius
