// Conformance checks for score functions (see conformance.h).
#include <cmath>
#include <random>

#include <ATen/ATen.h>

#include "core/conformance/conformance.h"
#include "core/error.h"
#include "core/model/decomposed_score.h"
#include "marius/sdk/comparators.hpp"
#include "core/plugin/score_function.h"
#include "core/tensor/dl_view.h"

namespace marius::conformance {

namespace {

int64_t count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// A float32 host tensor with its DLTensor view.
struct Buffer {
  std::vector<float> values;
  DLView view;
  Buffer(const std::vector<int64_t>& shape, std::mt19937_64& rng)
      : values(static_cast<size_t>(count(shape))), view(values.data(), kFloat32, shape) {
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (float& v : values) v = uniform(rng);
  }
  DLTensor* get() { return view.get(); }
  at::Tensor tensor() {
    const DLTensor& t = *view.get();
    return at::from_blob(values.data(), std::vector<int64_t>(t.shape, t.shape + t.ndim), at::kFloat);
  }
};

struct Inputs {
  std::unique_ptr<Buffer> lhs, rel, rhs;
  std::vector<int64_t> out_shape;
};

// Shapes of each mode with C=2 chunks, S=3 edges per chunk, N=4 negatives.
Inputs make_inputs(uint32_t mode, int64_t dim, int64_t width, std::mt19937_64& rng) {
  const int64_t C = 2, S = 3, N = 4, B = 6;
  Inputs in;
  if (mode == MARIUS_SCORE_POSITIVE) {
    in.lhs = std::make_unique<Buffer>(std::vector<int64_t>{B, dim}, rng);
    in.rel = std::make_unique<Buffer>(std::vector<int64_t>{B, width}, rng);
    in.rhs = std::make_unique<Buffer>(std::vector<int64_t>{B, dim}, rng);
    in.out_shape = {B};
  } else {
    bool rhs_negative = mode == MARIUS_SCORE_CORRUPT_RHS;
    in.lhs = std::make_unique<Buffer>(std::vector<int64_t>{C, rhs_negative ? S : N, dim}, rng);
    in.rel = std::make_unique<Buffer>(std::vector<int64_t>{C, S, width}, rng);
    in.rhs = std::make_unique<Buffer>(std::vector<int64_t>{C, rhs_negative ? N : S, dim}, rng);
    in.out_shape = {C, S, N};
  }
  return in;
}

const char* mode_name(uint32_t mode) {
  return mode == MARIUS_SCORE_POSITIVE ? "positive" : mode == MARIUS_SCORE_CORRUPT_RHS ? "corrupt_rhs" : "corrupt_lhs";
}

class ScoreHarness {
 public:
  ScoreHarness(const ScoreFunction& fn) : fn_(fn), vtable_(fn.plugin().vtable_as<marius_score_vtable>()), ctx_(fn.label()) {}

  marius_status raw_forward(const marius_score_args& args) {
    return vtable_.forward(fn_.handle(), ctx_.get(), &args);
  }
  marius_status raw_backward(const marius_score_args& args) {
    return vtable_.backward(fn_.handle(), ctx_.get(), &args);
  }
  std::string message() { return ctx_.take_message(); }
  CallContext& ctx() { return ctx_; }
  const ScoreFunction& function() const { return fn_; }

  std::vector<float> forward(uint32_t mode, Inputs& in) {
    std::vector<float> out(static_cast<size_t>(count(in.out_shape)), std::nanf(""));
    DLView out_view(out.data(), kFloat32, in.out_shape);
    marius_score_args args = make_args(mode, in);
    args.out = out_view.get();
    fn_.forward(ctx_, args);
    return out;
  }

  static marius_score_args make_args(uint32_t mode, Inputs& in) {
    marius_score_args args{};
    args.struct_size = sizeof(args);
    args.mode = mode;
    args.lhs = in.lhs->get();
    args.rel = in.rel->get();
    args.rhs = in.rhs->get();
    return args;
  }

 private:
  const ScoreFunction& fn_;
  const marius_score_vtable& vtable_;
  CallContext ctx_;
};

double weighted_sum(const std::vector<float>& out, const std::vector<float>& weights) {
  double total = 0;
  for (size_t i = 0; i < out.size(); ++i) total += static_cast<double>(out[i]) * weights[i];
  return total;
}

void require_finite(const std::vector<float>& values, const std::string& what) {
  for (size_t i = 0; i < values.size(); ++i) {
    require(std::isfinite(values[i]), fmt::format("{}[{}] = {} is not finite", what, i, values[i]));
  }
}

// Compares backward with central finite differences of sum(grad_out * out): the
// plugin's backward slot, or (`decomposed`) the host's operator + comparator path.
void check_gradients(ScoreHarness& h, uint32_t mode, int64_t dim, int64_t width, std::mt19937_64& rng,
                     bool decomposed = false) {
  Inputs in = make_inputs(mode, dim, width, rng);
  std::vector<float> grad_out(static_cast<size_t>(count(in.out_shape)));
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float& g : grad_out) g = uniform(rng);
  DLView grad_out_view(grad_out.data(), kFloat32, in.out_shape);

  Buffer* inputs[3] = {in.lhs.get(), in.rel.get(), in.rhs.get()};
  std::vector<std::vector<float>> grads(3);
  std::vector<std::unique_ptr<DLView>> grad_views;
  for (int i = 0; i < 3; ++i) {
    grads[i].assign(inputs[i]->values.size(), std::nanf(""));
    std::vector<int64_t> shape(inputs[i]->get()->shape, inputs[i]->get()->shape + inputs[i]->get()->ndim);
    grad_views.push_back(std::make_unique<DLView>(grads[i].data(), kFloat32, shape));
  }
  marius_score_args args = ScoreHarness::make_args(mode, in);
  args.grad_out = grad_out_view.get();
  args.grad_lhs = grad_views[0]->get();
  args.grad_rel = grad_views[1]->get();
  args.grad_rhs = grad_views[2]->get();
  if (decomposed) {
    auto wrap = [](std::vector<float>& v, const Buffer& like) {
      const DLTensor& t = *const_cast<Buffer&>(like).get();
      return at::from_blob(v.data(), std::vector<int64_t>(t.shape, t.shape + t.ndim), at::kFloat);
    };
    decomposed_backward(h.function(), h.ctx(), mode, in.lhs->tensor(), in.rel->tensor(), in.rhs->tensor(),
                        at::from_blob(grad_out.data(), in.out_shape, at::kFloat), wrap(grads[0], *in.lhs),
                        wrap(grads[1], *in.rel), wrap(grads[2], *in.rhs));
  } else {
    h.ctx().check(h.raw_backward(args), "backward");
  }

  const char* names[3] = {"lhs", "rel", "rhs"};
  const float eps = 1e-3f;
  double worst = 0;
  for (int i = 0; i < 3; ++i) {
    require_finite(grads[i], std::string("grad_") + names[i]);
    std::vector<float>& x = inputs[i]->values;
    for (size_t k = 0; k < x.size(); ++k) {
      float saved = x[k];
      x[k] = saved + eps;
      double plus = weighted_sum(h.forward(mode, in), grad_out);
      x[k] = saved - eps;
      double minus = weighted_sum(h.forward(mode, in), grad_out);
      x[k] = saved;
      double numeric = (plus - minus) / (2.0 * eps);
      double analytic = grads[i][k];
      double error = std::abs(numeric - analytic);
      worst = std::max(worst, error);
      require(error <= 5e-3 + 1e-2 * std::abs(analytic),
              fmt::format("{} mode: d/d{}[{}]: backward gives {:.6f}, finite differences {:.6f}", mode_name(mode),
                          names[i], k, analytic, numeric));
    }
  }
}

// Checks that a chunked mode scores exactly what the positive mode scores for the
// same (lhs, rel, rhs) triples.
void check_chunked_agrees(ScoreHarness& h, uint32_t mode, int64_t dim, int64_t width, std::mt19937_64& rng) {
  Inputs chunked = make_inputs(mode, dim, width, rng);
  std::vector<float> out = h.forward(mode, chunked);
  const int64_t C = chunked.out_shape[0], S = chunked.out_shape[1], N = chunked.out_shape[2];
  const int64_t B = C * S * N;
  Inputs flat;
  flat.lhs = std::make_unique<Buffer>(std::vector<int64_t>{B, dim}, rng);
  flat.rel = std::make_unique<Buffer>(std::vector<int64_t>{B, width}, rng);
  flat.rhs = std::make_unique<Buffer>(std::vector<int64_t>{B, dim}, rng);
  flat.out_shape = {B};
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t n = 0; n < N; ++n) {
        int64_t b = (c * S + s) * N + n;
        int64_t l_row = mode == MARIUS_SCORE_CORRUPT_RHS ? c * S + s : c * N + n;
        int64_t r_row = mode == MARIUS_SCORE_CORRUPT_RHS ? c * N + n : c * S + s;
        // data() + offset, not &values[offset]: a score without relation parameters has width 0.
        std::copy_n(chunked.lhs->values.data() + l_row * dim, dim, flat.lhs->values.data() + b * dim);
        std::copy_n(chunked.rel->values.data() + (c * S + s) * width, width, flat.rel->values.data() + b * width);
        std::copy_n(chunked.rhs->values.data() + r_row * dim, dim, flat.rhs->values.data() + b * dim);
      }
    }
  }
  std::vector<float> expected = h.forward(MARIUS_SCORE_POSITIVE, flat);
  for (int64_t b = 0; b < B; ++b) {
    require(std::abs(out[b] - expected[b]) <= 1e-4f + 1e-4f * std::abs(expected[b]),
            fmt::format("{} score [{}] is {}, the positive mode gives {} for the same triple", mode_name(mode), b,
                        out[b], expected[b]));
  }
}

// A plugin that decomposes (ABI 1.2): the host's operator + comparator path
// must score what the plugin's own forward scores, and differentiate correctly.
void check_decomposition(Checker& checker, ScoreHarness& h, int64_t dim, int64_t width, std::mt19937_64& rng) {
  const ScoreFunction& fn = h.function();
  for (uint32_t mode : {MARIUS_SCORE_POSITIVE, MARIUS_SCORE_CORRUPT_RHS, MARIUS_SCORE_CORRUPT_LHS}) {
    checker.run(fmt::format("decomposed ({}) {} scores match forward", sdk::comparators::name(fn.comparator()),
                            mode_name(mode)),
                [&] {
                  Inputs in = make_inputs(mode, dim, width, rng);
                  std::vector<float> expected = h.forward(mode, in);
                  at::Tensor out = at::empty(in.out_shape, at::kFloat);
                  decomposed_forward(fn, h.ctx(), mode, in.lhs->tensor(), in.rel->tensor(), in.rhs->tensor(), out);
                  const float* got = out.data_ptr<float>();
                  for (size_t i = 0; i < expected.size(); ++i) {
                    require(std::abs(got[i] - expected[i]) <= 1e-4f + 1e-4f * std::abs(expected[i]),
                            fmt::format("score [{}]: the operator + comparator give {}, forward {}", i, got[i],
                                        expected[i]));
                  }
                });
    checker.run(fmt::format("decomposed {} gradients match finite differences", mode_name(mode)),
                [&] { check_gradients(h, mode, dim, width, rng, /*decomposed=*/true); });
  }
  Buffer x({6, dim}, rng), rel({6, width}, rng), y({6, dim}, rng);
  marius_operator_args args{};
  args.struct_size = sizeof(args);
  args.side = 9;
  args.x = x.get();
  args.rel = rel.get();
  args.y = y.get();
  const auto& vtable = fn.plugin().vtable_as<marius_score_vtable>();
  marius_status s = vtable.apply_operator(fn.handle(), h.ctx().get(), &args);
  checker.expect_error("apply_operator rejects an unknown side", s, h.message());
  args.side = MARIUS_OPERATOR_RHS;
  args.y = nullptr;
  s = vtable.apply_operator(fn.handle(), h.ctx().get(), &args);
  checker.expect_error("apply_operator rejects a NULL output", s, h.message());
}

}  // namespace

void check_score_function(Checker& checker, std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options) {
  ScoreFunction fn(plugin, options);
  checker.record(options.empty() ? "create with default options" : "create with the given options", true);
  ScoreHarness h(fn);
  std::mt19937_64 rng(20261121);
  const int64_t dim = 8;
  int64_t width = -1;

  checker.run("relation_width(8)", [&] { width = fn.relation_width(h.ctx(), dim); });
  if (width < 0) return;
  {
    int64_t ignored = 0;
    marius_status s = fn.plugin().vtable_as<marius_score_vtable>().relation_width(fn.handle(), h.ctx().get(), -1, &ignored);
    checker.expect_error("relation_width rejects dimension -1", s, h.message());
  }
  checker.run("init_relations fills [3,R] with finite values", [&] {
    std::vector<float> params(static_cast<size_t>(3 * width), std::nanf(""));
    DLView view(params.data(), kFloat32, {3, width});
    RandomStream stream(7);
    h.ctx().set_rng(stream.get());
    fn.init_relations(h.ctx(), *view.get());
    h.ctx().set_rng(nullptr);
    require_finite(params, "params");
  });

  for (uint32_t mode : {MARIUS_SCORE_POSITIVE, MARIUS_SCORE_CORRUPT_RHS, MARIUS_SCORE_CORRUPT_LHS}) {
    checker.run(fmt::format("forward {}: finite scores, inputs untouched, repeatable", mode_name(mode)), [&] {
      Inputs in = make_inputs(mode, dim, width, rng);
      std::vector<float> before[3] = {in.lhs->values, in.rel->values, in.rhs->values};
      std::vector<float> first = h.forward(mode, in);
      require_finite(first, "out");
      require(before[0] == in.lhs->values && before[1] == in.rel->values && before[2] == in.rhs->values,
              "forward wrote into an input tensor");
      require(h.forward(mode, in) == first, "two forward calls on the same input differ");
    });
  }
  checker.run("forward corrupt_rhs agrees with positive", [&] { check_chunked_agrees(h, MARIUS_SCORE_CORRUPT_RHS, dim, width, rng); });
  checker.run("forward corrupt_lhs agrees with positive", [&] { check_chunked_agrees(h, MARIUS_SCORE_CORRUPT_LHS, dim, width, rng); });
  for (uint32_t mode : {MARIUS_SCORE_POSITIVE, MARIUS_SCORE_CORRUPT_RHS, MARIUS_SCORE_CORRUPT_LHS}) {
    checker.run(fmt::format("backward {} matches finite differences", mode_name(mode)),
                [&] { check_gradients(h, mode, dim, width, rng); });
  }

  if (fn.comparator() != MARIUS_COMPARATOR_NONE) check_decomposition(checker, h, dim, width, rng);

  // Invalid input: each must come back as an error status with a message.
  auto invalid = [&](const std::string& name, const std::function<void(Inputs&, marius_score_args&, DLView&)>& spoil,
                     bool backward) {
    Inputs in = make_inputs(MARIUS_SCORE_POSITIVE, dim, width, rng);
    std::vector<float> out(6);
    DLView out_view(out.data(), kFloat32, {6});
    marius_score_args args = ScoreHarness::make_args(MARIUS_SCORE_POSITIVE, in);
    std::vector<float> grads[3] = {in.lhs->values, in.rel->values, in.rhs->values};
    DLView gl(grads[0].data(), kFloat32, {6, dim}), gr(grads[1].data(), kFloat32, {6, width}),
        gh(grads[2].data(), kFloat32, {6, dim});
    if (backward) {
      args.grad_out = out_view.get();
      args.grad_lhs = gl.get();
      args.grad_rel = gr.get();
      args.grad_rhs = gh.get();
    } else {
      args.out = out_view.get();
    }
    spoil(in, args, out_view);
    marius_status s = backward ? h.raw_backward(args) : h.raw_forward(args);
    checker.expect_error(name, s, h.message());
  };
  Buffer wide({6, dim + 2}, rng);
  std::vector<int64_t> ids(6 * dim, 1);
  DLView id_view(ids.data(), kInt64, {6, dim});
  invalid("forward rejects rhs of another dimension", [&](Inputs&, marius_score_args& a, DLView&) { a.rhs = wide.get(); }, false);
  invalid("forward rejects a NULL output", [&](Inputs&, marius_score_args& a, DLView&) { a.out = nullptr; }, false);
  invalid("forward rejects int64 input", [&](Inputs&, marius_score_args& a, DLView&) { a.lhs = id_view.get(); }, false);
  invalid("forward rejects an unknown mode", [&](Inputs&, marius_score_args& a, DLView&) { a.mode = 77; }, false);
  invalid("backward rejects an unknown mode", [&](Inputs&, marius_score_args& a, DLView&) { a.mode = 77; }, true);
  invalid("backward rejects a NULL grad_out", [&](Inputs&, marius_score_args& a, DLView&) { a.grad_out = nullptr; }, true);
}

}  // namespace marius::conformance
