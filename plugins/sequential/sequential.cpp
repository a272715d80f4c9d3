// The `sequential` ordering policy, a baseline for BETA.
//
// For i = 0..p-1, the buffer holds partition i plus a group of c-1 of the other
// partitions, stepping through those groups in order; each state processes every
// bucket among its resident partitions that no earlier state processed. Every
// pair (i, j) is resident together in some state, so every bucket is processed
// exactly once. When c >= p there is one state holding everything.
#include <algorithm>

#include "marius/sdk/plugin.hpp"

namespace {

using marius::sdk::require_arg;

class Sequential : public marius::sdk::OrderingPolicy {
 public:
  explicit Sequential(const marius::sdk::Options&) {}

  void plan(const marius_call_context&, int32_t p, int32_t c, marius::sdk::PlanSink& sink) override {
    require_arg(p >= 1, "num_partitions must be >= 1, got " + std::to_string(p));
    require_arg(c >= 1 && c <= p, "buffer_capacity must lie in [1, num_partitions], got " + std::to_string(c));
    require_arg(p == 1 || c >= 2, "a buffer of one partition cannot hold bucket (0,1); use capacity >= 2");
    std::vector<char> done(static_cast<size_t>(p) * p, 0);
    auto emit = [&](const std::vector<int32_t>& state) {
      sink.add_state(state);
      for (int32_t a : state) {
        for (int32_t b : state) {
          char& d = done[static_cast<size_t>(a) * p + b];
          if (!d) {
            sink.add_bucket(a, b);
            d = 1;
          }
        }
      }
    };
    if (c == p) {
      std::vector<int32_t> all(static_cast<size_t>(p));
      for (int32_t i = 0; i < p; ++i) all[i] = i;
      emit(all);
      return;
    }
    for (int32_t i = 0; i < p; ++i) {
      std::vector<int32_t> others;
      for (int32_t j = i + 1; j < p; ++j) others.push_back(j);  // pairs with j < i were covered already
      if (others.empty()) {
        if (!done[static_cast<size_t>(i) * p + i]) emit({i});
        continue;
      }
      for (size_t start = 0; start < others.size(); start += static_cast<size_t>(c - 1)) {
        std::vector<int32_t> state{i};
        size_t end = std::min(others.size(), start + static_cast<size_t>(c - 1));
        state.insert(state.end(), others.begin() + static_cast<long>(start), others.begin() + static_cast<long>(end));
        emit(state);
      }
    }
  }
};

}  // namespace

MARIUS_PLUGIN(Sequential, "sequential", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
