// Conformance checks for GNN layers (see conformance.h): describe, forward and
// backward on a small random neighbourhood with relation types, an empty row
// and edge weights; outputs finite and deterministic for a seed; backward
// against central finite differences (in inference, and in training with the
// forward's seed, so dropout masks agree); and errors for malformed calls.
#include <cmath>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/conformance/conformance.h"
#include "core/error.h"
#include "core/gnn/encoder.h"
#include "core/plugin/gnn_layer.h"
#include "core/tensor/dl_view.h"

namespace marius::conformance {

namespace {

constexpr int64_t kIn = 6, kOut = 4, kRelations = 3, kSrc = 10, kDst = 5;

// One call's tensors; args() views them (valid while this lives).
struct Call {
  at::Tensor input, offsets, neighbors, relations, weights, degrees, output;
  std::vector<at::Tensor> params;
  bool training = false;
  uint64_t seed = 7;
  std::vector<std::unique_ptr<DLView>> views;
  std::vector<const DLTensor*> param_views;
  std::vector<DLTensor*> grad_views;

  DLTensor* view(const at::Tensor& t) {
    if (!t.defined()) return nullptr;
    views.push_back(std::make_unique<DLView>(t));
    return views.back()->get();
  }
  marius_layer_args args() {
    views.clear();
    param_views.clear();
    marius_layer_args a{};
    a.struct_size = sizeof(a);
    a.training = training ? 1 : 0;
    a.seed = seed;
    a.input = view(input);
    a.offsets = view(offsets);
    a.neighbors = view(neighbors);
    a.relations = view(relations);
    a.weights = view(weights);
    a.degrees = view(degrees);
    for (const at::Tensor& p : params) param_views.push_back(view(p));
    a.num_params = static_cast<uint32_t>(params.size());
    a.params = param_views.data();
    a.output = view(output);
    return a;
  }
};

Call make_call(const GnnLayer& layer, at::Generator& gen) {
  Call c;
  c.input = at::randn({kSrc, kIn}, gen);
  // Rows: 3, 0 (a destination without neighbours), 4, 2, 3 neighbours.
  c.offsets = at::tensor({0, 3, 3, 7, 9, 12}, at::kLong);
  c.neighbors = at::randint(kSrc, {12}, gen, at::kLong);
  c.relations = at::randint(kRelations, {12}, gen, at::kLong);
  c.degrees = at::tensor({3.f, 1.f, 4.f, 2.f, 5.f, 1.f, 2.f, 3.f, 1.f, 2.f});
  c.output = at::full({kDst, kOut}, std::nanf(""));
  // The declared initialisation, perturbed: a zero bias would put outputs on an
  // activation's kink (e.g. a row whose attention dropout dropped everything),
  // where finite differences are meaningless.
  uint64_t k = 1;
  for (const LayerParamSpec& p : layer.params()) {
    c.params.push_back(initial_parameter(p, 1000 + k++) + 0.2 * at::randn(p.shape, gen));
  }
  return c;
}

at::Tensor forward(const GnnLayer& layer, CallContext& ctx, Call& c) {
  c.output = at::full({kDst, kOut}, std::nanf(""));
  marius_layer_args a = c.args();
  layer.forward(ctx, a);
  return c.output.clone();
}

// The gradient of sum(w * forward) w.r.t. the input and each parameter, by
// backward, compared with central differences at up to 24 entries of each.
void check_gradients(const GnnLayer& layer, CallContext& ctx, Call& c, at::Generator& gen, const char* mode) {
  at::Tensor w = at::randn({kDst, kOut}, gen);
  std::vector<at::Tensor> grads{at::full_like(c.input, std::nanf(""))};
  for (const at::Tensor& p : c.params) grads.push_back(at::full_like(p, std::nanf("")));
  marius_layer_args a = c.args();
  a.output = nullptr;
  std::unique_ptr<DLView> w_view = std::make_unique<DLView>(w);
  a.grad_output = w_view->get();
  std::vector<std::unique_ptr<DLView>> grad_views;
  std::vector<DLTensor*> grad_params;
  for (size_t i = 0; i < grads.size(); ++i) grad_views.push_back(std::make_unique<DLView>(grads[i]));
  a.grad_input = grad_views[0]->get();
  for (size_t i = 1; i < grads.size(); ++i) grad_params.push_back(grad_views[i]->get());
  a.grad_params = grad_params.data();
  layer.backward(ctx, a);
  std::vector<at::Tensor*> values{&c.input};
  for (at::Tensor& p : c.params) values.push_back(&p);
  const double eps = 1e-2;
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string name = i == 0 ? "input" : "parameter '" + layer.params()[i - 1].name + "'";
    require(at::isfinite(grads[i]).all().item<bool>(), fmt::format("{}: backward left the gradient of {} not finite", mode, name));
    at::Tensor flat = values[i]->view({-1});
    at::Tensor g = grads[i].view({-1});
    const int64_t n = flat.numel(), step = std::max<int64_t>(1, n / 24);
    for (int64_t k = 0; k < n; k += step) {
      const float saved = flat[k].item<float>();
      flat[k] = saved + eps;
      const double plus = (forward(layer, ctx, c) * w).sum().item<double>();
      flat[k] = saved - eps;
      const double minus = (forward(layer, ctx, c) * w).sum().item<double>();
      flat[k] = saved;
      const double numeric = (plus - minus) / (2 * eps), analytic = g[k].item<double>();
      require(std::abs(numeric - analytic) <= 2e-2 + 2e-2 * std::abs(analytic),
              fmt::format("{}: d/d {}[{}]: backward gives {:.6f}, finite differences {:.6f}", mode, name, k, analytic,
                          numeric));
    }
  }
}

// Calls forward through the raw vtable and expects an error with a message.
void expect_refused(Checker& checker, const GnnLayer& layer, const std::string& name, Call& c) {
  CallContext ctx(layer.label());
  marius_layer_args a = c.args();
  const auto& vtable = layer.plugin().vtable_as<marius_layer_vtable>();
  marius_status s = vtable.forward(layer.handle(), ctx.get(), &a);
  checker.expect_error(name, s, ctx.take_message());
}

}  // namespace

void check_layer(Checker& checker, std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options) {
  GnnLayer layer(plugin, options, kIn, kOut, kRelations);
  checker.record(options.empty() ? "create with default options" : "create with the given options", true);
  checker.record("describe(6 -> 4, 3 relations)", true, fmt::format("{} parameter(s)", layer.params().size()));
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(20261204);
  CallContext ctx(layer.label());
  Call c = make_call(layer, gen);
  at::Tensor first;
  checker.run("forward: [5,4] from [10,6], finite, an empty row included", [&] {
    first = forward(layer, ctx, c);
    require(at::isfinite(first).all().item<bool>(), "the output holds NaN or infinity (or was not written)");
  });
  checker.run("forward in inference is deterministic", [&] {
    require(at::equal(first, forward(layer, ctx, c)), "two calls with the same inputs differ");
  });
  checker.run("forward with edge weights", [&] {
    c.weights = at::rand({12}, gen) + 0.5;
    at::Tensor out = forward(layer, ctx, c);
    c.weights = at::Tensor();
    require(at::isfinite(out).all().item<bool>(), "the output holds NaN or infinity");
  });
  checker.run("forward without relation types", [&] {
    at::Tensor saved = c.relations;
    c.relations = at::Tensor();
    at::Tensor out = forward(layer, ctx, c);
    c.relations = saved;
    require(at::isfinite(out).all().item<bool>(), "the output holds NaN or infinity");
  });
  checker.run("training with one seed is deterministic", [&] {
    c.training = true;
    at::Tensor a = forward(layer, ctx, c), b = forward(layer, ctx, c);
    c.training = false;
    require(at::equal(a, b), "two training calls with the same seed differ");
  });
  checker.run("backward matches finite differences (inference)", [&] { check_gradients(layer, ctx, c, gen, "inference"); });
  checker.run("backward matches finite differences (training, the forward's seed)", [&] {
    c.training = true;
    check_gradients(layer, ctx, c, gen, "training");
    c.training = false;
  });
  {
    Call bad = make_call(layer, gen);
    bad.input = at::randn({kSrc, kIn + 1}, gen);
    expect_refused(checker, layer, "refuses an input of the wrong width", bad);
  }
  {
    Call bad = make_call(layer, gen);
    bad.output = at::empty({kDst + 1, kOut});
    expect_refused(checker, layer, "refuses an output of the wrong shape", bad);
  }
  if (!layer.params().empty()) {
    Call bad = make_call(layer, gen);
    bad.params.pop_back();
    expect_refused(checker, layer, "refuses a missing parameter", bad);
  }
  {
    Call bad = make_call(layer, gen);
    bad.degrees = at::ones({kSrc - 1});
    expect_refused(checker, layer, "refuses degrees of the wrong length", bad);
  }
}

}  // namespace marius::conformance
