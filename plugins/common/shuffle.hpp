// plugins/common/shuffle.hpp - a uniform random permutation drawn from the call's
// random stream.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "marius/sdk/plugin.hpp"

namespace marius::plugins {

// Uniform in [0, bound) for bound >= 1, without modulo bias (rejection sampling).
inline uint64_t uniform_below(sdk::Rng& rng, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;  // draws >= limit would favour small values
  uint64_t draw = rng.next();
  while (draw >= limit) draw = rng.next();
  return draw % bound;
}

// Fisher-Yates: every permutation of `items` is equally likely. The same stream
// state gives the same permutation.
template <class T>
void shuffle(std::vector<T>& items, sdk::Rng& rng) {
  for (size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[uniform_below(rng, i)]);
  }
}

}  // namespace marius::plugins
