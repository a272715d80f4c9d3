// core/data/seeded_random.h - random numbers that are the same on every platform.
//
// std::mt19937_64 is specified bit for bit, but the std distributions are not,
// so splits and generated graphs draw through these helpers instead: the same
// seed gives the same output with any compiler and standard library.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace marius {

class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n), n > 0, without modulo bias.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // draws >= limit would favour small values
    uint64_t x;
    do {
      x = engine_();
    } while (x >= limit);
    return x % n;
  }

  // 64 raw bits (the engine's next output).
  uint64_t bits() { return engine_(); }

  // Fisher-Yates shuffle.
  template <class T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace marius
