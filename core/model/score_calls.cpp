#include "core/model/score_calls.h"

#include <memory>

#include <ATen/ATen.h>

#include "core/model/decomposed_score.h"
#include "core/tensor/dl_view.h"

namespace marius {

namespace {

// The arguments every call shares: mode and the three borrowed inputs.
marius_score_args make_args(uint32_t mode, const DLView& lhs, const DLView& rel, const DLView& rhs) {
  marius_score_args args{};
  args.struct_size = sizeof(args);
  args.mode = mode;
  args.lhs = lhs.get();
  args.rel = rel.get();
  args.rhs = rhs.get();
  return args;
}

}  // namespace

at::Tensor score_forward(const ScoreFunction& fn, CallContext& ctx, uint32_t mode, const at::Tensor& lhs,
                         const at::Tensor& rel, const at::Tensor& rhs, const at::Tensor& out) {
  if (fn.comparator() != MARIUS_COMPARATOR_NONE) {
    decomposed_forward(fn, ctx, mode, lhs, rel, rhs, out);
    return out;
  }
  DLView l(lhs), r(rel), h(rhs), o(out);
  marius_score_args args = make_args(mode, l, r, h);
  args.out = o.get();
  fn.forward(ctx, args);
  return out;
}

void score_backward(const ScoreFunction& fn, CallContext& ctx, uint32_t mode, const at::Tensor& lhs,
                    const at::Tensor& rel, const at::Tensor& rhs, const at::Tensor& grad_out, const at::Tensor& grad_lhs,
                    const at::Tensor& grad_rel, const at::Tensor& grad_rhs) {
  at::Tensor g = grad_out.contiguous();
  if (fn.comparator() != MARIUS_COMPARATOR_NONE) {
    decomposed_backward(fn, ctx, mode, lhs, rel, rhs, g, grad_lhs, grad_rel, grad_rhs);
    return;
  }
  DLView l(lhs), r(rel), h(rhs), go(g);
  auto view = [](const at::Tensor& t) { return t.defined() ? std::make_unique<DLView>(t) : nullptr; };
  auto gl = view(grad_lhs), gh = view(grad_rhs);
  auto gr = rel.size(-1) > 0 ? view(grad_rel) : nullptr;
  marius_score_args args = make_args(mode, l, r, h);
  args.grad_out = go.get();
  args.grad_lhs = gl ? gl->get() : nullptr;
  args.grad_rel = gr ? gr->get() : nullptr;
  args.grad_rhs = gh ? gh->get() : nullptr;
  fn.backward(ctx, args);
  if (grad_rel.defined() && !gr) grad_rel.zero_();
}

}  // namespace marius
