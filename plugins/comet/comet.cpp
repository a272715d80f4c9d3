// The `comet` ordering policy: COMET, the two-level partitioning of MariusGNN
// (Waleffe et al., EuroSys'23).
//
// The p physical partitions are grouped at random, afresh every epoch (from
// ctx->rng), into l logical partitions of g = p / l each (option
// logical_partitions; p must be a multiple of l; 0 picks l = 2p / c, two
// logical partitions in the buffer, when p is a multiple of c / 2, else l = p). The buffer of c physical partitions then
// holds c / g logical ones (c must be a multiple of g). BETA plans the logical
// partitions, relabelled at random too; each logical state becomes the
// physical state of its groups' partitions (group after group, in BETA's slot
// order, so a logical swap replaces g physical partitions) and processes every
// physical bucket (i, j) whose logical pair (I, J) no earlier state held: every
// bucket exactly once per epoch. The host trains a state's edges in one random
// order across its buckets, so with fresh groups every epoch neither the
// buffer's contents nor the order of the training examples repeat from epoch
// to epoch: what keeps out-of-core accuracy near in-memory accuracy in
// MariusGNN. With l = p (g = 1) it is BETA with shuffle.
#include <numeric>
#include <string>

#include "common/beta_states.hpp"
#include "common/plan_shape.hpp"
#include "common/shuffle.hpp"
#include "marius/sdk/plugin.hpp"

namespace {

using marius::plugins::Partitions;

class Comet : public marius::sdk::OrderingPolicy {
 public:
  explicit Comet(const marius::sdk::Options& options) : logical_(options.get_int("logical_partitions")) {
    marius::sdk::require_arg(logical_ >= 0, "option logical_partitions must be >= 0 (0: 2p / buffer_capacity), got " +
                                                std::to_string(logical_));
  }

  void plan(const marius_call_context& ctx, int32_t p, int32_t c, marius::sdk::PlanSink& sink) override {
    marius::plugins::require_plan_shape(p, c);
    int64_t l = logical_;
    if (l == 0) l = c % 2 == 0 && p % (c / 2) == 0 ? 2 * static_cast<int64_t>(p) / c : p;
    marius::sdk::require_arg(l >= 1 && l <= p && p % l == 0, "option logical_partitions = " + std::to_string(l) +
                                                                 " must divide num_partitions = " + std::to_string(p));
    const int32_t g = static_cast<int32_t>(p / l);  // physical partitions per logical one
    marius::sdk::require_arg(c % g == 0, "buffer_capacity = " + std::to_string(c) + " must be a multiple of p / l = " +
                                             std::to_string(g) + " (whole logical partitions in the buffer)");
    const int32_t logical = static_cast<int32_t>(l), logical_capacity = c / g;
    marius::sdk::require_arg(logical == 1 || logical_capacity >= 2,
                             "buffer_capacity = " + std::to_string(c) + " holds " + std::to_string(logical_capacity) +
                                 " logical partition(s) of " + std::to_string(g) +
                                 "; it must hold two (raise buffer_capacity or logical_partitions)");
    marius::sdk::Rng rng(ctx);
    Partitions physical(static_cast<size_t>(p));  // group k: physical[k*g .. (k+1)*g)
    std::iota(physical.begin(), physical.end(), 0);
    marius::plugins::shuffle(physical, rng);
    Partitions label(static_cast<size_t>(logical));  // BETA's logical partition q is group label[q]
    std::iota(label.begin(), label.end(), 0);
    marius::plugins::shuffle(label, rng);
    auto group = [&](int32_t q) {
      const auto first = physical.begin() + static_cast<long>(label[static_cast<size_t>(q)]) * g;
      return Partitions(first, first + g);
    };
    const std::vector<Partitions> states = marius::plugins::beta_states(logical, logical_capacity);
    const auto pairs = marius::plugins::new_pairs(states, logical);
    for (size_t s = 0; s < states.size(); ++s) {
      Partitions resident;
      for (int32_t q : states[s]) {
        const Partitions members = group(q);
        resident.insert(resident.end(), members.begin(), members.end());
      }
      sink.add_state(resident);
      for (const auto& [a, b] : pairs[s]) {
        for (int32_t i : group(a)) {
          for (int32_t j : group(b)) sink.add_bucket(i, j);
        }
      }
    }
  }

 private:
  const int64_t logical_;
};

}  // namespace

MARIUS_PLUGIN(Comet, "comet", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
