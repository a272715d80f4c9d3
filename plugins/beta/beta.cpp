// The `beta` ordering policy: BETA, the Buffer-aware Edge Traversal Algorithm of
// Marius (Mohoney et al., OSDI'21).
//
// The buffer starts with partitions 0..c-1; the other n = p-c wait on disk. Each
// round fixes c-1 resident partitions and
//   1. cycles the remaining slot through every waiting partition (one swap each;
//      the partition cycled out goes back to disk), so the fixed group meets every
//      partition not yet paired with it, and then
//   2. retires the fixed group, whose pairs are now all processed: up to c-1
//      waiting partitions replace its members one swap at a time and become the
//      next fixed group; they leave the disk for good.
// Rounds repeat until no partition waits. Round k (k = 0, 1, ...) starts with
// n - k(c-1) waiting partitions, so with x = floor(n/(c-1)) a plan makes
//   swaps = n + sum_{k=0..x} (n - k(c-1)) = n + (x+1)(n - x(c-1)/2)
// where x(c-1)/2 must be evaluated exactly (it is a half-integer when x is odd and
// c even; (x+1)x(c-1)/2 is always an integer). When c = p there is one state.
//
// Every state after the first differs from the one before by one partition, and
// every bucket it processes touches that admitted partition: any other pair of its
// residents was resident together in the state before, so each swap admits work.
// A state processes every bucket among its residents that no earlier state did.
// Within a state, buckets touching the partition that the next swap evicts come
// first, so that partition's write-back can start while the rest of the state is
// processed; otherwise buckets go pair by pair in buffer-slot order, (a,b) then
// (b,a). Option `shuffle` relabels the partitions with a permutation drawn from
// ctx->rng, so successive epochs differ; the same stream gives the same plan.
#include <algorithm>
#include <numeric>

#include "common/beta_states.hpp"
#include "common/plan_shape.hpp"
#include "common/shuffle.hpp"
#include "marius/sdk/plugin.hpp"

namespace {

using marius::plugins::Partitions;

// Sends `states` to the sink with the buckets each processes, in the order the
// header comment gives.
void emit(const std::vector<Partitions>& states, int32_t p, marius::sdk::PlanSink& sink) {
  std::vector<std::vector<std::pair<int32_t, int32_t>>> pairs = marius::plugins::new_pairs(states, p);
  for (size_t s = 0; s < states.size(); ++s) {
    const Partitions& resident = states[s];
    std::vector<std::pair<int32_t, int32_t>>& buckets = pairs[s];
    if (s + 1 < states.size()) {
      const Partitions& next = states[s + 1];
      auto leaves = [&](int32_t q) { return std::find(next.begin(), next.end(), q) == next.end(); };
      std::stable_partition(buckets.begin(), buckets.end(),
                            [&](const auto& bucket) { return leaves(bucket.first) || leaves(bucket.second); });
    }
    sink.add_state(resident);
    for (const auto& [lhs, rhs] : buckets) sink.add_bucket(lhs, rhs);
  }
}

class Beta : public marius::sdk::OrderingPolicy {
 public:
  explicit Beta(const marius::sdk::Options& options) : shuffle_(options.get_bool("shuffle")) {}

  void plan(const marius_call_context& ctx, int32_t p, int32_t c, marius::sdk::PlanSink& sink) override {
    marius::plugins::require_plan_shape(p, c);
    std::vector<Partitions> states = marius::plugins::beta_states(p, c);
    if (shuffle_) {
      Partitions label(static_cast<size_t>(p));
      std::iota(label.begin(), label.end(), 0);
      marius::sdk::Rng rng(ctx);
      marius::plugins::shuffle(label, rng);
      for (Partitions& state : states) {
        for (int32_t& q : state) q = label[static_cast<size_t>(q)];
      }
    }
    emit(states, p, sink);
  }

 private:
  const bool shuffle_;
};

}  // namespace

MARIUS_PLUGIN(Beta, "beta", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
