#include "core/model/decomposed_score.h"

#include <algorithm>
#include <memory>

#include <ATen/ATen.h>

#include "core/tensor/dl_view.h"
#include "marius/sdk/comparators.hpp"

namespace marius {

namespace {

namespace cmp = sdk::comparators;

// The side whose rows the operator takes: the heads for POSITIVE and
// CORRUPT_RHS (op_rhs), the tails for CORRUPT_LHS (op_lhs).
uint32_t operator_side(uint32_t mode) {
  return mode == MARIUS_SCORE_CORRUPT_LHS ? MARIUS_OPERATOR_LHS : MARIUS_OPERATOR_RHS;
}

// The operator's input rows x [B,D] and relations [B,R] of a call, flattened,
// and the rows the operator's output is compared with.
struct Operands {
  at::Tensor x, rel, others;
};

Operands operands(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) {
  const at::Tensor& x = mode == MARIUS_SCORE_CORRUPT_LHS ? rhs : lhs;
  const at::Tensor& others = mode == MARIUS_SCORE_CORRUPT_LHS ? lhs : rhs;
  const int64_t rows = x.numel() / std::max<int64_t>(1, x.size(-1));
  return {x.reshape({rows, x.size(-1)}), rel.reshape({rows, rel.size(-1)}), others};
}

}  // namespace

void decomposed_forward(const ScoreFunction& fn, CallContext& ctx, uint32_t mode, const at::Tensor& lhs,
                        const at::Tensor& rel, const at::Tensor& rhs, const at::Tensor& out) {
  Operands o = operands(mode, lhs, rel, rhs);
  at::Tensor y = relation_operator(fn, ctx, operator_side(mode), o.x, o.rel);
  if (mode == MARIUS_SCORE_POSITIVE) {
    out.copy_(cmp::rows(fn.comparator(), y, o.others));
  } else {
    cmp::chunked(fn.comparator(), y.view(mode == MARIUS_SCORE_CORRUPT_LHS ? rhs.sizes() : lhs.sizes()), o.others, out);
  }
}

void decomposed_backward(const ScoreFunction& fn, CallContext& ctx, uint32_t mode, const at::Tensor& lhs,
                         const at::Tensor& rel, const at::Tensor& rhs, const at::Tensor& grad_out,
                         const at::Tensor& grad_lhs, const at::Tensor& grad_rel, const at::Tensor& grad_rhs) {
  const uint32_t side = operator_side(mode);
  Operands o = operands(mode, lhs, rel, rhs);
  at::Tensor y = relation_operator(fn, ctx, side, o.x, o.rel);  // recomputed: O(B*D), against O(B*N*D) for the comparator
  at::Tensor grad_y = at::empty_like(y);
  const at::Tensor& grad_x = mode == MARIUS_SCORE_CORRUPT_LHS ? grad_rhs : grad_lhs;
  at::Tensor grad_others = mode == MARIUS_SCORE_CORRUPT_LHS ? grad_lhs : grad_rhs;
  if (mode == MARIUS_SCORE_POSITIVE) {
    cmp::rows_backward(fn.comparator(), y, o.others, grad_out, &grad_y, grad_others.defined() ? &grad_others : nullptr);
  } else {
    at::Tensor y3 = y.view(mode == MARIUS_SCORE_CORRUPT_LHS ? rhs.sizes() : lhs.sizes());
    at::Tensor grad_y3 = grad_y.view(y3.sizes());
    cmp::chunked_backward(fn.comparator(), y3, o.others, grad_out, &grad_y3,
                          grad_others.defined() ? &grad_others : nullptr);
  }
  relation_operator_backward(fn, ctx, side, o.x, o.rel, grad_y, grad_x.defined() ? grad_x.view(o.x.sizes()) : grad_x,
                             grad_rel.defined() ? grad_rel.view(o.rel.sizes()) : grad_rel);
}

at::Tensor relation_operator(const ScoreFunction& fn, CallContext& ctx, uint32_t side, const at::Tensor& x,
                             const at::Tensor& rel) {
  at::Tensor y = at::empty_like(x);
  DLView xv(x), rv(rel), yv(y);
  marius_operator_args args{};
  args.struct_size = sizeof(args);
  args.side = side;
  args.x = xv.get();
  args.rel = rv.get();
  args.y = yv.get();
  fn.apply_operator(ctx, args);
  return y;
}

void relation_operator_backward(const ScoreFunction& fn, CallContext& ctx, uint32_t side, const at::Tensor& x,
                                const at::Tensor& rel, const at::Tensor& grad_y, const at::Tensor& grad_x,
                                const at::Tensor& grad_rel) {
  const bool want_rel = grad_rel.defined() && rel.size(-1) > 0;
  if (!grad_x.defined() && !want_rel) {
    if (grad_rel.defined()) grad_rel.zero_();
    return;
  }
  DLView xv(x), rv(rel), gyv(grad_y);
  auto view = [](bool wanted, const at::Tensor& t) { return wanted ? std::make_unique<DLView>(t) : nullptr; };
  auto gxv = view(grad_x.defined(), grad_x), grv = view(want_rel, grad_rel);
  marius_operator_args args{};
  args.struct_size = sizeof(args);
  args.side = side;
  args.x = xv.get();
  args.rel = rv.get();
  args.grad_y = gyv.get();
  args.grad_x = gxv ? gxv->get() : nullptr;
  args.grad_rel = grv ? grv->get() : nullptr;
  fn.operator_backward(ctx, args);
  if (grad_rel.defined() && !want_rel) grad_rel.zero_();
}

}  // namespace marius
