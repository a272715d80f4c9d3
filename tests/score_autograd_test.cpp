// The autograd wrapper around score plugins: values and gradients equal those of
// the same expression written directly in LibTorch, in every mode.
#include "core/model/score_autograd.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "core/plugin/registry.h"
#include "test_util.h"

namespace marius {
namespace {

struct Case {
  const char* plugin;
  bool has_relation;  // c_dot has width 0
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.plugin; }

class ScoreAutograd : public ::testing::TestWithParam<Case> {};

at::Tensor reference(const std::string& plugin, uint32_t mode, const at::Tensor& l, const at::Tensor& r,
                     const at::Tensor& h) {
  auto score = [&](const at::Tensor& a, const at::Tensor& rel, const at::Tensor& b) {
    return plugin == "distmult" ? (a * rel * b).sum(-1) : (a * b).sum(-1);
  };
  if (mode == MARIUS_SCORE_POSITIVE) return score(l, r, h);
  if (mode == MARIUS_SCORE_CORRUPT_RHS) return score(l.unsqueeze(2), r.unsqueeze(2), h.unsqueeze(1));
  return score(l.unsqueeze(1), r.unsqueeze(2), h.unsqueeze(2));
}

TEST_P(ScoreAutograd, MatchesLibTorch) {
  Case c = GetParam();
  PluginRegistry registry;
  registry.add_builtin();
  registry.add_path(MARIUS_TEST_C_PLUGIN);
  ScoreFunction fn(registry.load(registry.find(c.plugin)), {});
  at::manual_seed(3);
  const int64_t C = 3, S = 4, N = 5, D = 6, R = c.has_relation ? D : 0;
  for (uint32_t mode : {MARIUS_SCORE_POSITIVE, MARIUS_SCORE_CORRUPT_RHS, MARIUS_SCORE_CORRUPT_LHS}) {
    std::vector<int64_t> ls, rs, hs;
    if (mode == MARIUS_SCORE_POSITIVE) {
      ls = {S, D}, rs = {S, R}, hs = {S, D};
    } else {
      ls = {C, mode == MARIUS_SCORE_CORRUPT_RHS ? S : N, D};
      rs = {C, S, R};
      hs = {C, mode == MARIUS_SCORE_CORRUPT_RHS ? N : S, D};
    }
    at::Tensor l = at::randn(ls).requires_grad_(), r = at::randn(rs).requires_grad_(), h = at::randn(hs).requires_grad_();
    at::Tensor out = plugin_score(fn, mode, l, r, h);
    at::Tensor expected = reference(c.plugin, mode, l, r, h);
    ASSERT_EQ(out.sizes(), expected.sizes()) << "mode " << mode;
    EXPECT_TRUE(at::allclose(out, expected, 1e-5, 1e-5)) << "mode " << mode;

    at::Tensor weights = at::randn(out.sizes());
    auto grads = torch::autograd::grad({(out * weights).sum()}, {l, r, h}, {}, false, false, true);
    auto want = torch::autograd::grad({(expected * weights).sum()}, {l, r, h}, {}, false, false, true);
    for (int i = 0; i < 3; ++i) {
      if (!want[i].defined()) continue;  // rel does not enter c_dot's score
      EXPECT_TRUE(at::allclose(grads[i], want[i], 1e-4, 1e-5)) << "mode " << mode << " input " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Plugins, ScoreAutograd, ::testing::Values(Case{"distmult", true}, Case{"c_dot", false}),
                         [](const auto& info) { return std::string(info.param.plugin); });

TEST(ScoreAutogradShapes, InconsistentShapesAreRejectedBeforeThePluginRuns) {
  PluginRegistry registry;
  registry.add_builtin();
  ScoreFunction fn(registry.load(registry.find("distmult")), {});
  testing::expect_error([&] { plugin_score(fn, MARIUS_SCORE_POSITIVE, at::randn({4, 3}), at::randn({4, 3}), at::randn({5, 3})); },
                        MARIUS_ERR_INVALID_ARGUMENT, {"distmult", "batch sizes or dimensions differ"});
  testing::expect_error([&] { plugin_score(fn, 9, at::randn({4, 3}), at::randn({4, 3}), at::randn({4, 3})); },
                        MARIUS_ERR_INVALID_ARGUMENT, {"unknown mode"});
}

}  // namespace
}  // namespace marius
