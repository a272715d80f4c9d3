// Conformance checks for ordering policies (see conformance.h).
#include "core/conformance/conformance.h"
#include "core/error.h"
#include "core/plugin/ordering_policy.h"

namespace marius::conformance {

void check_ordering_policy(Checker& checker, std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options) {
  OrderingPolicy policy(plugin, options);
  checker.record(options.empty() ? "create with default options" : "create with the given options", true);
  CallContext ctx(policy.label());
  RandomStream stream(5);
  ctx.set_rng(stream.get());

  const std::pair<int32_t, int32_t> shapes[] = {{1, 1}, {2, 2}, {4, 2}, {5, 3}, {8, 4}, {16, 5}, {16, 16}};
  for (auto [p, c] : shapes) {
    checker.run(fmt::format("plan p={} c={} is valid", p, c), [&, p = p, c = c] {
      Plan plan = policy.plan(ctx, p, c);  // validates
      require(plan.num_partitions == p, "plan lost its shape");
    });
  }

  const auto& vtable = plugin->vtable_as<marius_ordering_vtable>();
  auto raw_plan = [&](int32_t p, int32_t c, const marius_plan_sink& sink) {
    marius_plan_args args{sizeof(marius_plan_args), p, c, 0, &sink};
    return vtable.plan(policy.handle(), ctx.get(), &args);
  };
  struct Discard {
    static marius_status state(void*, const int32_t*, uint32_t) noexcept { return MARIUS_OK; }
    static marius_status bucket(void*, int32_t, int32_t) noexcept { return MARIUS_OK; }
    static marius_status refuse_state(void*, const int32_t*, uint32_t) noexcept { return MARIUS_ERR_OUT_OF_MEMORY; }
  };
  marius_plan_sink discard{sizeof(marius_plan_sink), 0, nullptr, &Discard::state, &Discard::bucket};
  for (auto [p, c, name] : {std::tuple{0, 1, "plan rejects p=0"}, std::tuple{4, 0, "plan rejects c=0"},
                            std::tuple{4, 1, "plan rejects c=1 when p=4"}, std::tuple{4, 5, "plan rejects c>p"}}) {
    marius_status status = raw_plan(p, c, discard);
    checker.expect_error(name, status, ctx.take_message());
  }
  marius_plan_sink refusing{sizeof(marius_plan_sink), 0, nullptr, &Discard::refuse_state, &Discard::bucket};
  {
    marius_status s = raw_plan(4, 2, refusing);
    ctx.take_message();
    checker.record("plan passes on the sink's error", s != MARIUS_OK,
                   s == MARIUS_OK ? "the sink refused every state but plan returned MARIUS_OK" : "");
  }
}

}  // namespace marius::conformance
