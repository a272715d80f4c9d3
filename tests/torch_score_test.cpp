// The SDK's LibTorch score adapter (marius/sdk/torch_score.hpp): the expression
// route's tiles give what one untiled evaluation gives, and the operator +
// comparator route (marius/sdk/comparators.hpp, which the host runs too) scores
// and differentiates what the same score written as an expression does.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/tensor/dl_view.h"
#include "marius/sdk/torch_score.hpp"

namespace marius {
namespace {

// score(h, r, t) = cmp(h + r, t) as one expression (autograd differentiates it).
at::Tensor expression(uint32_t cmp, const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) {
  at::Tensor a = lhs + rel;
  switch (cmp) {
    case MARIUS_COMPARATOR_DOT: return (a * rhs).sum(-1);
    case MARIUS_COMPARATOR_COSINE: return (a * rhs).sum(-1) / (a.norm(2, -1) * rhs.norm(2, -1));
    case MARIUS_COMPARATOR_L2: return -(a - rhs).pow(2).sum(-1).sqrt();
    default: return -(a - rhs).pow(2).sum(-1);
  }
}

// The expression route, with a chosen tile budget.
class Expression : public sdk::TorchScoreFunction {
 public:
  Expression(uint32_t cmp, int64_t tile_bytes) : cmp_(cmp), tile_bytes_(tile_bytes) {}

 protected:
  at::Tensor score(const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) const override {
    return expression(cmp_, lhs, rel, rhs);
  }
  int64_t tile_bytes() const override { return tile_bytes_; }

 private:
  uint32_t cmp_;
  int64_t tile_bytes_;
};

// The same score as a translation operator and a comparator, the operator's
// backward left to autograd.
class Composed : public sdk::TorchScoreFunction {
 public:
  explicit Composed(uint32_t cmp) : cmp_(cmp) {}

 protected:
  uint32_t comparator() const override { return cmp_; }
  at::Tensor relation_operator(uint32_t side, const at::Tensor& x, const at::Tensor& rel) const override {
    // cmp(h + r, t) = cmp(h, t - r) holds for the distances; for dot and cosine only op_rhs is used below.
    return side == MARIUS_OPERATOR_RHS ? x + rel : x - rel;
  }

 private:
  uint32_t cmp_;
};

struct Result {
  at::Tensor out, grad_lhs, grad_rel, grad_rhs;
};

// Forward and backward of `fn` in `mode` on the given inputs, through the ABI-shaped calls.
Result run(sdk::ScoreFunction& fn, uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs,
           const at::Tensor& grad_out) {
  marius_call_context ctx{};
  ctx.struct_size = sizeof(ctx);
  Result r{at::empty(grad_out.sizes()), at::empty_like(lhs), at::empty_like(rel), at::empty_like(rhs)};
  DLView l(lhs), rl(rel), h(rhs), o(r.out), go(grad_out), gl(r.grad_lhs), gr(r.grad_rel), gh(r.grad_rhs);
  marius_score_args args{};
  args.struct_size = sizeof(args);
  args.mode = mode;
  args.lhs = l.get();
  args.rel = rl.get();
  args.rhs = h.get();
  args.out = o.get();
  fn.forward(ctx, args);
  args.out = nullptr;
  args.grad_out = go.get();
  args.grad_lhs = gl.get();
  args.grad_rel = gr.get();
  args.grad_rhs = gh.get();
  fn.backward(ctx, args);
  return r;
}

void expect_close(const Result& a, const Result& b, const std::string& what) {
  EXPECT_TRUE(at::allclose(a.out, b.out, 1e-4, 1e-5)) << what << ": scores differ";
  EXPECT_TRUE(at::allclose(a.grad_lhs, b.grad_lhs, 1e-4, 1e-5)) << what << ": grad_lhs differs";
  EXPECT_TRUE(at::allclose(a.grad_rel, b.grad_rel, 1e-4, 1e-5)) << what << ": grad_rel differs";
  EXPECT_TRUE(at::allclose(a.grad_rhs, b.grad_rhs, 1e-4, 1e-5)) << what << ": grad_rhs differs";
}

struct Shapes {
  at::Tensor lhs, rel, rhs, grad_out;
};

// C=2 chunks, S=3 edges, N=7 negatives, D=R=4 (positive mode: B=6).
Shapes shapes(uint32_t mode) {
  const int64_t C = 2, S = 3, N = 7, D = 4;
  if (mode == MARIUS_SCORE_POSITIVE) {
    return {at::randn({6, D}), at::randn({6, D}), at::randn({6, D}), at::randn({6})};
  }
  const bool rhs = mode == MARIUS_SCORE_CORRUPT_RHS;
  return {at::randn({C, rhs ? S : N, D}), at::randn({C, S, D}), at::randn({C, rhs ? N : S, D}), at::randn({C, S, N})};
}

TEST(TorchScoreAdapter, ExpressionTilesGiveTheUntiledScoresAndGradients) {
  at::manual_seed(3);
  for (uint32_t mode : {MARIUS_SCORE_CORRUPT_RHS, MARIUS_SCORE_CORRUPT_LHS}) {
    Shapes in = shapes(mode);
    Expression untiled(MARIUS_COMPARATOR_L2, int64_t{1} << 40), one_per_tile(MARIUS_COMPARATOR_L2, 1),
        three_per_tile(MARIUS_COMPARATOR_L2, 3 * 2 * 3 * 4 * 4);
    Result whole = run(untiled, mode, in.lhs, in.rel, in.rhs, in.grad_out);
    expect_close(run(one_per_tile, mode, in.lhs, in.rel, in.rhs, in.grad_out), whole, "tiles of 1");
    expect_close(run(three_per_tile, mode, in.lhs, in.rel, in.rhs, in.grad_out), whole, "tiles of 3 (the last of 1)");
  }
}

TEST(TorchScoreAdapter, OperatorAndComparatorMatchTheExpressionInEveryMode) {
  at::manual_seed(5);
  for (uint32_t cmp : {MARIUS_COMPARATOR_DOT, MARIUS_COMPARATOR_COSINE, MARIUS_COMPARATOR_L2,
                       MARIUS_COMPARATOR_SQUARED_L2}) {
    for (uint32_t mode : {MARIUS_SCORE_POSITIVE, MARIUS_SCORE_CORRUPT_RHS, MARIUS_SCORE_CORRUPT_LHS}) {
      // Dot and cosine of h + r and t are not cmp(h, t - r): corrupt_lhs only for the distances.
      if (mode == MARIUS_SCORE_CORRUPT_LHS && (cmp == MARIUS_COMPARATOR_DOT || cmp == MARIUS_COMPARATOR_COSINE)) continue;
      Shapes in = shapes(mode);
      Expression expr(cmp, sdk::TorchScoreFunction::kDefaultTileBytes);
      Composed composed(cmp);
      expect_close(run(composed, mode, in.lhs, in.rel, in.rhs, in.grad_out),
                   run(expr, mode, in.lhs, in.rel, in.rhs, in.grad_out),
                   std::string(sdk::comparators::name(cmp)) + " mode " + std::to_string(mode));
    }
  }
}

}  // namespace
}  // namespace marius
