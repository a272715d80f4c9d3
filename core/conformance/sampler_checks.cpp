// Conformance checks for negative samplers (see conformance.h).
#include "core/conformance/conformance.h"
#include "core/error.h"
#include "core/plugin/negative_sampler.h"
#include "core/tensor/dl_view.h"

namespace marius::conformance {

namespace {

struct SampleCase {
  int64_t chunks = 3;
  int64_t negatives = 50;
  int64_t num_nodes = 100;
  std::vector<int64_t> ranges;   // flattened [K,2]
  std::vector<int64_t> degrees;  // [num_nodes]
  std::vector<int64_t> batch;    // [B]
  std::vector<int64_t> out;
};

// Runs the slot on `c` with a stream seeded by `seed`; returns the raw status.
marius_status run(const NegativeSampler& sampler, CallContext& ctx, SampleCase& c, uint64_t seed,
                  std::vector<int64_t> out_shape = {}) {
  if (out_shape.empty()) out_shape = {c.chunks, c.negatives};
  c.out.assign(static_cast<size_t>(out_shape[0] * out_shape[1]), -1);
  DLView ranges(c.ranges.data(), kInt64, {static_cast<int64_t>(c.ranges.size() / 2), 2});
  DLView degrees(c.degrees.data(), kInt64, {static_cast<int64_t>(c.degrees.size())});
  DLView batch(c.batch.data(), kInt64, {static_cast<int64_t>(c.batch.size())});
  DLView out(c.out.data(), kInt64, out_shape);
  marius_sample_args args{};
  args.struct_size = sizeof(args);
  args.num_chunks = c.chunks;
  args.negatives_per_chunk = c.negatives;
  args.num_nodes = c.num_nodes;
  args.node_ranges = ranges.get();
  args.degrees = c.degrees.empty() ? nullptr : degrees.get();
  args.batch_nodes = c.batch.empty() ? nullptr : batch.get();
  args.out = out.get();
  RandomStream stream(seed);
  ctx.set_rng(stream.get());
  marius_status s = sampler.plugin().vtable_as<marius_sampler_vtable>().sample(sampler.handle(), ctx.get(), &args);
  ctx.set_rng(nullptr);
  return s;
}

SampleCase valid_case() {
  SampleCase c;
  c.ranges = {10, 20, 50, 60};
  c.degrees.resize(100);
  for (int64_t i = 0; i < 100; ++i) c.degrees[i] = 1 + i % 7;
  for (int64_t i = 0; i < 30; ++i) c.batch.push_back(i % 2 == 0 ? 10 + i % 10 : 50 + i % 10);
  return c;
}

}  // namespace

void check_negative_sampler(Checker& checker, std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options) {
  NegativeSampler sampler(plugin, options);
  checker.record(options.empty() ? "create with default options" : "create with the given options", true);
  CallContext ctx(sampler.label());

  checker.run("sample draws only from the allowed ranges", [&] {
    SampleCase c = valid_case();
    ctx.check(run(sampler, ctx, c, 1), "sample");
    for (int64_t id : c.out) {
      require((id >= 10 && id < 20) || (id >= 50 && id < 60), fmt::format("drew node {}, outside [10,20) and [50,60)", id));
    }
  });
  checker.run("sample covers a single full range", [&] {
    SampleCase c = valid_case();
    c.ranges = {0, 100};
    c.chunks = 4;
    c.negatives = 500;
    ctx.check(run(sampler, ctx, c, 2), "sample");
    std::vector<int> hit(100, 0);
    for (int64_t id : c.out) {
      require(id >= 0 && id < 100, fmt::format("drew node {}, outside [0,100)", id));
      hit[id] = 1;
    }
    int distinct = 0;
    for (int h : hit) distinct += h;
    require(distinct >= 10, fmt::format("2000 draws hit only {} distinct nodes", distinct));
  });
  if ((plugin->capabilities() & MARIUS_CAP_DETERMINISTIC) != 0) {
    checker.run("the same random stream gives the same negatives", [&] {
      SampleCase a = valid_case(), b = valid_case();
      ctx.check(run(sampler, ctx, a, 99), "sample");
      ctx.check(run(sampler, ctx, b, 99), "sample");
      require(a.out == b.out, "two calls with equally seeded streams differ");
    });
  }
  auto invalid = [&](const std::string& name, const std::function<void(SampleCase&)>& spoil,
                     std::vector<int64_t> out_shape = {}) {
    SampleCase c = valid_case();
    spoil(c);
    marius_status s = run(sampler, ctx, c, 3, out_shape);
    checker.expect_error(name, s, ctx.take_message());
  };
  invalid("sample rejects an output of the wrong shape", [](SampleCase&) {}, {3, 51});
  invalid("sample rejects an empty range list", [](SampleCase& c) { c.ranges.clear(); });
  invalid("sample rejects a range with begin >= end", [](SampleCase& c) { c.ranges = {20, 10}; });
  invalid("sample rejects a range beyond num_nodes", [](SampleCase& c) { c.ranges = {90, 150}; });
  invalid("sample rejects zero chunks", [](SampleCase& c) { c.chunks = 0; }, {1, 50});
}

}  // namespace marius::conformance
