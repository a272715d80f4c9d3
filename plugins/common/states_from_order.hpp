// plugins/common/states_from_order.hpp - turns an order of the p x p buckets into
// buffer states, for orderings that choose the bucket order first (hilbert, random).
#pragma once

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "marius/sdk/plugin.hpp"

namespace marius::plugins {

using Bucket = std::pair<int32_t, int32_t>;  // (lhs partition, rhs partition)

// Sends to `sink` a plan that processes the buckets exactly in `order`, which must
// hold each of the p x p buckets once (p, c already checked: 1 <= c <= p, c >= 2
// when p >= 2).
//
// The buffer starts empty and fills with the partitions in the order buckets first
// need them; those first c partitions form state 0. Once it is full, a bucket whose
// partitions are not both resident admits the missing one or two, each replacing
// the resident partition (other than the bucket's own) whose next use in `order` is
// furthest away, or never (Belady's rule; ties go to the lowest slot). Each bucket
// that forces admissions opens a new state; an admitted partition takes the slot of
// the one it evicts, so `partitions` lists the buffer slot by slot.
inline void plan_states_in_order(const std::vector<Bucket>& order, int32_t p, int32_t c, sdk::PlanSink& sink) {
  sdk::require(order.size() == static_cast<size_t>(p) * static_cast<size_t>(p), MARIUS_ERR_INTERNAL,
               "the bucket order does not hold p x p buckets");
  // uses[q]: the positions in `order` of the buckets touching partition q, ascending.
  std::vector<std::vector<size_t>> uses(static_cast<size_t>(p));
  for (size_t t = 0; t < order.size(); ++t) {
    uses[order[t].first].push_back(t);
    if (order[t].second != order[t].first) uses[order[t].second].push_back(t);
  }
  std::vector<size_t> cursor(static_cast<size_t>(p), 0);
  constexpr size_t kNever = std::numeric_limits<size_t>::max();
  // The first position >= t that touches q (kNever when none); t only grows.
  auto next_use = [&](int32_t q, size_t t) {
    const std::vector<size_t>& u = uses[q];
    size_t& i = cursor[q];
    while (i < u.size() && u[i] < t) ++i;
    return i < u.size() ? u[i] : kNever;
  };

  struct State {
    std::vector<int32_t> partitions;
    std::vector<Bucket> buckets;
  };
  std::vector<State> states(1);
  std::vector<int32_t> slots;  // the buffer, slot by slot
  std::vector<char> resident(static_cast<size_t>(p), 0);
  for (size_t t = 0; t < order.size(); ++t) {
    const auto [lhs, rhs] = order[t];
    bool evicted = false;
    for (int32_t need : {lhs, rhs}) {
      if (resident[need]) continue;
      if (static_cast<int32_t>(slots.size()) < c) {
        slots.push_back(need);  // still filling: only state 0 ever has a free slot
        states.front().partitions = slots;
      } else {
        size_t victim = slots.size();
        size_t furthest = 0;
        for (size_t s = 0; s < slots.size(); ++s) {
          if (slots[s] == lhs || slots[s] == rhs) continue;
          size_t next = next_use(slots[s], t);
          if (victim == slots.size() || next > furthest) {
            victim = s;
            furthest = next;
          }
        }
        sdk::require(victim < slots.size(), MARIUS_ERR_INTERNAL, "no partition to evict (capacity below 2?)");
        resident[slots[victim]] = 0;
        slots[victim] = need;
        evicted = true;
      }
      resident[need] = 1;
    }
    if (evicted) states.push_back(State{slots, {}});
    states.back().buckets.push_back(order[t]);
  }

  for (const State& state : states) {
    sink.add_state(state.partitions);
    for (const auto& [lhs, rhs] : state.buckets) sink.add_bucket(lhs, rhs);
  }
}

}  // namespace marius::plugins
