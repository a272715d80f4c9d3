// The built-in ordering policies: BETA makes exactly the swaps of its closed form,
// every policy's plans are valid and never beat the lower bound, BETA makes fewer
// swaps than the baselines, and randomised plans repeat for a fixed seed.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <set>
#include <tuple>

#include "core/plugin/host_services.h"
#include "core/plugin/ordering_policy.h"
#include "core/plugin/registry.h"
#include "core/storage/plan_analysis.h"
#include "test_util.h"

namespace marius {
namespace {

using testing::builtin_manifest;

std::unique_ptr<OrderingPolicy> policy(const std::string& name, const OptionInputs& options = {}) {
  return std::make_unique<OrderingPolicy>(LoadedPlugin::load(load_manifest(builtin_manifest(name))), options);
}

// The plan `policy` makes (validated by OrderingPolicy::plan) with a stream seeded `seed`.
Plan plan_of(const OrderingPolicy& policy, int32_t p, int32_t c, uint64_t seed = 7) {
  RandomStream stream(seed);
  CallContext ctx(policy.label(), stream.get());
  return policy.plan(ctx, p, c);
}

// BETA's swap count from the issue: (p-c) + (x+1)((p-c) - x(c-1)/2), x = floor((p-c)/(c-1)),
// with x(c-1)/2 taken exactly, i.e. (x+1)x(c-1)/2 subtracted as a whole.
int64_t beta_formula(int64_t p, int64_t c) {
  const int64_t n = p - c;
  const int64_t x = n / (c - 1);
  return n + (x + 1) * n - (x + 1) * x * (c - 1) / 2;
}

// ceil((p(p-1)/2 - c(c-1)/2) / (c-1)): each swap admits one partition, which meets at
// most c-1 others.
int64_t lower_bound(int64_t p, int64_t c) {
  if (c >= p) return 0;
  return (p * (p - 1) / 2 - c * (c - 1) / 2 + c - 2) / (c - 1);
}

bool same_plan(const Plan& a, const Plan& b) {
  if (a.states.size() != b.states.size()) return false;
  for (size_t s = 0; s < a.states.size(); ++s) {
    if (a.states[s].partitions != b.states[s].partitions || a.states[s].buckets != b.states[s].buckets) return false;
  }
  return true;
}

TEST(Beta, SwapsEqualTheFormulaForEveryShapeUpTo64) {
  auto beta = policy("beta");
  for (int32_t p = 3; p <= 64; ++p) {
    for (int32_t c = 2; c < p; ++c) {
      Plan plan = plan_of(*beta, p, c);
      ASSERT_EQ(plan.swaps(), beta_formula(p, c)) << "p=" << p << " c=" << c;
      ASSERT_GE(plan.swaps(), lower_bound(p, c)) << "p=" << p << " c=" << c;
    }
  }
}

TEST(Beta, SmallShapesByHand) {
  auto beta = policy("beta");
  // p=3, c=2: {0,1} {0,2} {1,2}; the integer reading of x(c-1)/2 would say 3.
  EXPECT_EQ(plan_of(*beta, 3, 2).swaps(), 2);
  EXPECT_EQ(plan_of(*beta, 5, 2).swaps(), 9);
  EXPECT_EQ(plan_of(*beta, 8, 4).swaps(), 9);  // lower bound 8
  Plan whole = plan_of(*beta, 6, 6);
  EXPECT_EQ(whole.states.size(), 1u);
  EXPECT_EQ(whole.states[0].buckets.size(), 36u);
  EXPECT_EQ(plan_of(*beta, 1, 1).states.size(), 1u);
}

TEST(Beta, EverySwapAdmitsOnePartitionAndOnlyItsBuckets) {
  auto beta = policy("beta");
  for (auto [p, c] : {std::pair{9, 2}, {16, 4}, {17, 5}, {64, 16}}) {
    Plan plan = plan_of(*beta, p, c);
    for (size_t s = 1; s < plan.states.size(); ++s) {
      const auto& before = plan.states[s - 1].partitions;
      const auto& now = plan.states[s].partitions;
      ASSERT_EQ(now.size(), static_cast<size_t>(c));
      std::vector<int32_t> admitted;
      for (int32_t q : now) {
        if (std::find(before.begin(), before.end(), q) == before.end()) admitted.push_back(q);
      }
      ASSERT_EQ(admitted.size(), 1u) << "p=" << p << " c=" << c << " state " << s;
      ASSERT_FALSE(plan.states[s].buckets.empty()) << "state " << s << " admits no work";
      for (auto [lhs, rhs] : plan.states[s].buckets) {
        EXPECT_TRUE(lhs == admitted[0] || rhs == admitted[0]) << "state " << s << " bucket " << lhs << "," << rhs;
      }
    }
  }
}

TEST(Beta, BucketsOfThePartitionEvictedNextComeFirst) {
  auto beta = policy("beta");
  Plan plan = plan_of(*beta, 12, 4);
  for (size_t s = 0; s + 1 < plan.states.size(); ++s) {
    const auto& next = plan.states[s + 1].partitions;
    auto leaves = [&](int32_t q) { return std::find(next.begin(), next.end(), q) == next.end(); };
    bool seen_other = false;
    for (auto [lhs, rhs] : plan.states[s].buckets) {
      bool touches = leaves(lhs) || leaves(rhs);
      EXPECT_FALSE(touches && seen_other) << "state " << s << ": bucket " << lhs << "," << rhs << " comes late";
      seen_other = seen_other || !touches;
    }
  }
}

TEST(Orderings, PlansAreValidAndRespectTheLowerBound) {
  for (const char* name : {"beta", "hilbert", "random", "sequential"}) {
    auto ordering = policy(name);
    for (int32_t p : {1, 2, 3, 5, 8, 13, 16, 31, 64}) {
      for (int32_t c : std::set<int32_t>{2, 3, p / 2, p - 1, p}) {
        if (c < 1 || c > p || (p >= 2 && c < 2)) continue;
        Plan plan = plan_of(*ordering, p, c);  // throws unless valid
        EXPECT_GE(plan.swaps(), lower_bound(p, c)) << name << " p=" << p << " c=" << c;
        if (c == p) EXPECT_EQ(plan.swaps(), 0) << name << " p=" << p;
      }
    }
  }
}

TEST(Orderings, RejectBadShapes) {
  for (const char* name : {"beta", "hilbert", "random"}) {
    auto ordering = policy(name);
    for (auto [p, c] : {std::pair{0, 1}, {4, 0}, {4, 1}, {4, 5}}) {
      testing::expect_error([&, p = p, c = c] { plan_of(*ordering, p, c); }, MARIUS_ERR_INVALID_ARGUMENT,
                            {"plan failed"});
    }
  }
}

TEST(Orderings, BetaSwapsLessThanTheBaselines) {
  auto beta = policy("beta");
  auto sequential = policy("sequential");
  auto random = policy("random");
  for (auto [p, c] : {std::pair{8, 4}, {16, 4}, {32, 8}, {64, 16}, {20, 3}}) {
    int64_t swaps = plan_of(*beta, p, c).swaps();
    EXPECT_LE(swaps, plan_of(*sequential, p, c).swaps()) << "p=" << p << " c=" << c;
    EXPECT_LE(swaps, plan_of(*random, p, c).swaps()) << "p=" << p << " c=" << c;
  }
}

TEST(Hilbert, ConsecutiveBucketsAreNeighbours) {
  // For p a power of two the curve stays inside the grid: each bucket is one step
  // from the one before, in plan order across states.
  Plan plan = plan_of(*policy("hilbert"), 16, 4);
  std::vector<std::pair<int32_t, int32_t>> order;
  for (const auto& state : plan.states) order.insert(order.end(), state.buckets.begin(), state.buckets.end());
  ASSERT_EQ(order.size(), 256u);
  for (size_t i = 1; i < order.size(); ++i) {
    int32_t step = std::abs(order[i].first - order[i - 1].first) + std::abs(order[i].second - order[i - 1].second);
    EXPECT_EQ(step, 1) << "bucket " << i;
  }
}

TEST(Greedy, StatesAreFullAndEachAdmitsWork) {
  for (const char* name : {"hilbert", "random"}) {
    for (auto [p, c] : {std::pair{7, 2}, {16, 5}, {33, 8}}) {
      Plan plan = plan_of(*policy(name), p, c);
      for (size_t s = 0; s < plan.states.size(); ++s) {
        EXPECT_EQ(plan.states[s].partitions.size(), static_cast<size_t>(c)) << name << " state " << s;
        EXPECT_FALSE(plan.states[s].buckets.empty()) << name << " state " << s;
      }
    }
  }
}

TEST(Shuffle, BetaRepeatsForASeedAndDiffersAcrossSeeds) {
  auto plain = policy("beta");
  auto shuffled = policy("beta", {{"shuffle", true}});
  Plan a = plan_of(*shuffled, 16, 4, 1);
  Plan b = plan_of(*shuffled, 16, 4, 1);
  Plan other = plan_of(*shuffled, 16, 4, 2);
  Plan base = plan_of(*plain, 16, 4, 1);
  EXPECT_TRUE(same_plan(a, b));
  EXPECT_FALSE(same_plan(a, other));
  EXPECT_FALSE(same_plan(a, base));
  EXPECT_EQ(a.swaps(), base.swaps());
  EXPECT_EQ(other.swaps(), base.swaps());
  // Without shuffle BETA draws nothing: it plans without a random stream.
  CallContext no_rng(plain->label());
  EXPECT_TRUE(same_plan(plain->plan(no_rng, 16, 4), base));
  testing::expect_error([&] { shuffled->plan(no_rng, 16, 4); }, MARIUS_ERR_INVALID_ARGUMENT, {"random stream"});
}

// The groups of `g` physical partitions a COMET plan's states are made of.
std::set<std::set<int32_t>> groups_of(const Plan& plan, size_t g) {
  std::set<std::set<int32_t>> groups;
  for (const BufferState& state : plan.states) {
    EXPECT_EQ(state.partitions.size() % g, 0u);
    for (size_t k = 0; k + g <= state.partitions.size(); k += g) {
      groups.emplace(state.partitions.begin() + static_cast<long>(k), state.partitions.begin() + static_cast<long>(k + g));
    }
  }
  return groups;
}

// COMET, p = 16 physical partitions in l = 4 logical ones, a buffer of 8 (two
// logical): valid plans (every bucket once, checked by plan_of), states made of
// the same 4 disjoint groups all epoch, g x BETA(l, 2) swaps, groups drawn
// afresh from the stream (the same for a seed).
TEST(Comet, BetaOverRandomGroupsOfPhysicalPartitions) {
  auto comet = policy("comet", {{"logical_partitions", int64_t{4}}});
  Plan a = plan_of(*comet, 16, 8, 1), again = plan_of(*comet, 16, 8, 1), other = plan_of(*comet, 16, 8, 2);
  EXPECT_TRUE(same_plan(a, again));
  EXPECT_FALSE(same_plan(a, other));
  EXPECT_EQ(a.swaps(), 4 * beta_formula(4, 2));
  EXPECT_EQ(a.states.size(), plan_of(*policy("beta"), 4, 2).states.size());
  const std::set<std::set<int32_t>> groups = groups_of(a, 4);
  ASSERT_EQ(groups.size(), 4u);
  std::set<int32_t> all;
  for (const auto& g : groups) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), 16u);  // disjoint, covering every partition
  EXPECT_NE(groups, groups_of(other, 4));
  // logical_partitions = 0: two logical partitions in the buffer, l = 2p / c.
  EXPECT_EQ(groups_of(plan_of(*policy("comet"), 16, 8, 1), 4).size(), 4u);
  // l = p is BETA over shuffled partitions (with buckets at their first state, exactly its plan).
  EXPECT_EQ(plan_of(*policy("comet", {{"logical_partitions", int64_t{16}}}), 16, 4, 3).swaps(), beta_formula(16, 4));
  // By default a bucket goes to a random state among those holding its pair:
  // a logical pair's buckets spread over several states; at the first state, never.
  auto first = policy("comet", {{"logical_partitions", int64_t{4}}, {"random_buckets", false}});
  auto states_of_pair = [](const Plan& plan, const std::set<int32_t>& g, const std::set<int32_t>& h) {
    std::set<size_t> states;
    for (size_t s = 0; s < plan.states.size(); ++s) {
      for (auto [i, j] : plan.states[s].buckets) {
        if (g.count(i) && h.count(j)) states.insert(s);
      }
    }
    return states.size();
  };
  const Plan at_first = plan_of(*first, 16, 8, 1);
  const std::set<std::set<int32_t>> first_groups = groups_of(at_first, 4);
  size_t spread = 0;
  for (const auto& g : first_groups) spread = std::max(spread, states_of_pair(a, g, g));
  for (const auto& g : first_groups) EXPECT_EQ(states_of_pair(at_first, g, g), 1u);
  for (const auto& g : groups) spread = std::max(spread, states_of_pair(a, g, g));
  EXPECT_GT(spread, 1u);
  for (auto [p, c, l] : {std::tuple{16, 8, 3}, {16, 6, 4}, {16, 8, 2}, {16, 8, 32}}) {
    testing::expect_error([&, p = p, c = c, l = l] { plan_of(*policy("comet", {{"logical_partitions", int64_t{l}}}), p, c); },
                          MARIUS_ERR_INVALID_ARGUMENT, {"plan failed"});
  }
}

TEST(Shuffle, RandomRepeatsForASeedAndDiffersAcrossSeeds) {
  auto random = policy("random");
  EXPECT_TRUE(same_plan(plan_of(*random, 12, 3, 5), plan_of(*random, 12, 3, 5)));
  EXPECT_FALSE(same_plan(plan_of(*random, 12, 3, 5), plan_of(*random, 12, 3, 6)));
}

// What `marius-run plan` prints, computed in the core: BETA at p = 5, c = 3 makes
// 4 swaps (the lower bound) and moves 3 + 4 partitions each way; a device tier
// of 2 within p = 8, c = 4 makes the 28 sub-states and 38 partitions that
// training measures.
TEST(PlanAnalysis, TransitionsSwapsBytesAndTheDeviceTier) {
  PluginRegistry registry;
  registry.add_builtin();
  PlanRequest request;
  request.ordering = "beta";
  request.partitions = 5;
  request.buffer = 3;
  request.partition_bytes = 1024;
  PlanAnalysis a = analyse_plan(registry, request);
  EXPECT_EQ(a.ordering, "beta");
  EXPECT_EQ(a.manifest, builtin_manifest("beta"));
  ASSERT_EQ(a.states.size(), a.plan.states.size());
  EXPECT_EQ(a.states[0].admitted, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(a.states[1].admitted, std::vector<int32_t>{3});
  EXPECT_EQ(a.states[1].evicted, std::vector<int32_t>{2});
  EXPECT_EQ(a.swaps, 4);
  EXPECT_EQ(a.lower_bound, 4);
  EXPECT_EQ(a.partitions_read, 7u);
  EXPECT_EQ(a.partitions_written, 7u);
  EXPECT_EQ(a.bytes_read, 7168u);
  EXPECT_EQ(a.bytes_written, 7168u);
  EXPECT_FALSE(a.device.has_value());

  request.partitions = 8;
  request.buffer = 4;
  request.device = 2;
  request.partition_bytes = 1000;
  a = analyse_plan(registry, request);
  ASSERT_TRUE(a.device.has_value());
  EXPECT_EQ(a.device->states, 28u);
  EXPECT_EQ(a.device->partitions, 38u);
  EXPECT_EQ(a.device->bytes, 38000u);
  uint64_t states = 0;
  for (const StateTraffic& t : a.states) states += t.device_states;
  EXPECT_EQ(states, 28u);

  request.partition_bytes = UINT64_MAX;
  testing::expect_error([&] { analyse_plan(registry, request); }, MARIUS_ERR_OUT_OF_RANGE, {"overflows 64 bits"});
  request.ordering = "distmult";
  testing::expect_error([&] { analyse_plan(registry, request); }, MARIUS_ERR_INVALID_ARGUMENT,
                        {"is a score_function, not a ordering_policy"});
}

}  // namespace
}  // namespace marius
