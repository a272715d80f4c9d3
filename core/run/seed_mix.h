// core/run/seed_mix.h - deriving independent seeds from (seed, epoch, batch, ...).
#pragma once

#include <cstdint>

namespace marius {

// SplitMix64's finaliser: a bijection of 64-bit values whose outputs for
// neighbouring inputs look independent. Training derives every random stream
// from the configured seed through it, so each stream is a pure function of
// (seed, epoch, batch or state), which makes resume reproducible.
inline uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace marius
