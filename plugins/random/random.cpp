// The `random` ordering policy, a baseline: the p x p buckets in a uniformly random
// order drawn from ctx->rng, buffer states derived from that order
// (plugins/common/states_from_order.hpp: partitions admitted as buckets need them,
// Belady eviction). The same random stream gives the same plan. Valid for any
// 1 <= c <= p (c >= 2 when p >= 2).
#include "common/plan_shape.hpp"
#include "common/shuffle.hpp"
#include "common/states_from_order.hpp"
#include "marius/sdk/plugin.hpp"

namespace {

using marius::plugins::Bucket;

class Random : public marius::sdk::OrderingPolicy {
 public:
  explicit Random(const marius::sdk::Options&) {}

  void plan(const marius_call_context& ctx, int32_t p, int32_t c, marius::sdk::PlanSink& sink) override {
    marius::plugins::require_plan_shape(p, c);
    std::vector<Bucket> order;
    order.reserve(static_cast<size_t>(p) * static_cast<size_t>(p));
    for (int32_t lhs = 0; lhs < p; ++lhs) {
      for (int32_t rhs = 0; rhs < p; ++rhs) order.emplace_back(lhs, rhs);
    }
    marius::sdk::Rng rng(ctx);
    marius::plugins::shuffle(order, rng);
    marius::plugins::plan_states_in_order(order, p, c, sink);
  }
};

}  // namespace

MARIUS_PLUGIN(Random, "random", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
