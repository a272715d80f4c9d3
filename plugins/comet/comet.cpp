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
// physical bucket (i, j) assigned to it: by default (option random_buckets)
// each bucket goes to a state drawn uniformly from those that hold its logical
// pair (I, J), as MariusGNN's randomly_assign_edge_buckets does, so a logical
// pair's edges spread over several states; with random_buckets = false, to the
// first such state. Either way every bucket is trained exactly once per epoch. The host trains a state's edges in one random
// order across its buckets, so with fresh groups every epoch neither the
// buffer's contents nor the order of the training examples repeat from epoch
// to epoch: what keeps out-of-core accuracy near in-memory accuracy in
// MariusGNN. With l = p (g = 1) and random_buckets = false it is BETA with shuffle.
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
  explicit Comet(const marius::sdk::Options& options)
      : logical_(options.get_int("logical_partitions")), random_buckets_(options.get_bool("random_buckets")) {
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
    // assigned[s]: the physical buckets state s trains. Each goes to the first
    // state holding its logical pair, or (random_buckets) to one drawn
    // uniformly from every state that holds the pair.
    std::vector<std::vector<std::pair<int32_t, int32_t>>> assigned(states.size());
    if (!random_buckets_) {
      const auto pairs = marius::plugins::new_pairs(states, logical);
      for (size_t s = 0; s < states.size(); ++s) {
        for (const auto& [a, b] : pairs[s]) {
          for (int32_t i : group(a)) {
            for (int32_t j : group(b)) assigned[s].emplace_back(i, j);
          }
        }
      }
    } else {
      std::vector<std::vector<uint32_t>> holders(static_cast<size_t>(logical) * static_cast<size_t>(logical));
      for (size_t s = 0; s < states.size(); ++s) {
        for (int32_t a : states[s]) {
          for (int32_t b : states[s]) holders[static_cast<size_t>(a) * static_cast<size_t>(logical) + static_cast<size_t>(b)].push_back(static_cast<uint32_t>(s));
        }
      }
      for (int32_t a = 0; a < logical; ++a) {
        for (int32_t b = 0; b < logical; ++b) {
          const std::vector<uint32_t>& h = holders[static_cast<size_t>(a) * static_cast<size_t>(logical) + static_cast<size_t>(b)];
          for (int32_t i : group(a)) {
            for (int32_t j : group(b)) assigned[h[marius::plugins::uniform_below(rng, h.size())]].emplace_back(i, j);
          }
        }
      }
    }
    for (size_t s = 0; s < states.size(); ++s) {
      Partitions resident;
      for (int32_t q : states[s]) {
        const Partitions members = group(q);
        resident.insert(resident.end(), members.begin(), members.end());
      }
      sink.add_state(resident);
      for (const auto& [i, j] : assigned[s]) sink.add_bucket(i, j);
    }
  }

 private:
  const int64_t logical_;
  const bool random_buckets_;
};

}  // namespace

MARIUS_PLUGIN(Comet, "comet", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
