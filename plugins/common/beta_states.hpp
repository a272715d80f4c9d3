// plugins/common/beta_states.hpp - BETA's buffer states (Marius, OSDI'21), for the
// `beta` ordering and for `comet`, which runs BETA over logical partitions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

namespace marius::plugins {

using Partitions = std::vector<int32_t>;

// BETA's buffer states, slot by slot, with the partitions labelled 0..p-1
// (1 <= c <= p): the buffer starts with 0..c-1; each round fixes the c-1
// partitions of slots 0..c-2, cycles slot c-1 through every waiting partition,
// then replaces the fixed group one partition at a time with waiting ones,
// which leave the disk for good (see plugins/beta/beta.cpp).
inline std::vector<Partitions> beta_states(int32_t p, int32_t c) {
  Partitions buffer(static_cast<size_t>(c));
  std::iota(buffer.begin(), buffer.end(), 0);
  std::vector<Partitions> states{buffer};
  Partitions waiting(static_cast<size_t>(p - c));
  std::iota(waiting.begin(), waiting.end(), c);
  const size_t fixed = static_cast<size_t>(c - 1);  // slots 0..c-2 hold the fixed group, slot c-1 cycles
  while (!waiting.empty()) {
    for (int32_t& w : waiting) {
      std::swap(w, buffer[fixed]);  // admit w into the cycling slot; its old occupant waits in w's place
      states.push_back(buffer);
    }
    const size_t replaced = std::min(fixed, waiting.size());
    for (size_t i = 0; i < replaced; ++i) {
      buffer[i] = waiting[i];  // the fixed partition in slot i is finished: drop it
      states.push_back(buffer);
    }
    waiting.erase(waiting.begin(), waiting.begin() + static_cast<long>(replaced));
  }
  return states;
}

// For each state, the pairs (a, b) of its residents (both orders, and (a, a))
// that no earlier state held together: every pair of 0..p-1 exactly once over
// the plan.
inline std::vector<std::vector<std::pair<int32_t, int32_t>>> new_pairs(const std::vector<Partitions>& states, int32_t p) {
  std::vector<char> done(static_cast<size_t>(p) * static_cast<size_t>(p), 0);
  std::vector<std::vector<std::pair<int32_t, int32_t>>> out(states.size());
  for (size_t s = 0; s < states.size(); ++s) {
    const Partitions& resident = states[s];
    auto add = [&](int32_t lhs, int32_t rhs) {
      char& d = done[static_cast<size_t>(lhs) * static_cast<size_t>(p) + static_cast<size_t>(rhs)];
      if (!d) out[s].emplace_back(lhs, rhs);
      d = 1;
    };
    for (size_t a = 0; a < resident.size(); ++a) {
      for (size_t b = a; b < resident.size(); ++b) {
        add(resident[a], resident[b]);
        if (b != a) add(resident[b], resident[a]);
      }
    }
  }
  return out;
}

}  // namespace marius::plugins
