// marius/sdk/comparators.hpp - the comparators of a decomposed score (marius/abi/score.h,
// since ABI 1.2) as LibTorch code: dot, cosine, L2 and squared L2, row by row and
// against shared candidates as matrix products.
//
// One implementation serves both sides of the ABI: the host scores decomposed
// plugins with it, and the SDK's TorchScoreFunction composes its own forward and
// backward (for hosts older than 1.2 and for the conformance suite) from it, so
// the two agree bit for bit.
//
// Shapes: rows: a, b [B,D] -> [B]. chunked: queries q [C,S,D], candidates c
// [C,N,D] -> [C,S,N] with out[c,s,n] = cmp(q[c,s], c[c,n]). Every comparator is
// symmetric. Backward functions write d loss / d input given g = d loss / d out
// into each non-null output (overwritten, shaped like its input).
#ifndef MARIUS_SDK_COMPARATORS_HPP_
#define MARIUS_SDK_COMPARATORS_HPP_

#include <cstdint>
#include <string>

#include <ATen/ATen.h>

#include "marius/abi/score.h"

namespace marius::sdk::comparators {

// Norms below this count as this (cosine) and squared distances below this as
// this (L2), as PyTorch-BigGraph clamps them.
constexpr double kCosineEpsilon = 1e-12;
constexpr double kSquaredDistanceFloor = 1e-30;

inline bool known(uint32_t cmp) {
  return cmp == MARIUS_COMPARATOR_DOT || cmp == MARIUS_COMPARATOR_COSINE || cmp == MARIUS_COMPARATOR_L2 ||
         cmp == MARIUS_COMPARATOR_SQUARED_L2;
}

inline const char* name(uint32_t cmp) {
  switch (cmp) {
    case MARIUS_COMPARATOR_NONE: return "none";
    case MARIUS_COMPARATOR_DOT: return "dot";
    case MARIUS_COMPARATOR_COSINE: return "cosine";
    case MARIUS_COMPARATOR_L2: return "l2";
    case MARIUS_COMPARATOR_SQUARED_L2: return "squared_l2";
    default: return "unknown";
  }
}

namespace detail {

// x / max(|x|, eps) along the last dimension, and the clamped norms [..., 1].
inline std::pair<at::Tensor, at::Tensor> normalized(const at::Tensor& x) {
  at::Tensor norm = x.norm(2, -1, /*keepdim=*/true).clamp_min_(kCosineEpsilon);
  return {x / norm, norm};
}

// The gradient of x / max(|x|, eps) given gn = d loss / d normalized: (gn - xn <gn, xn>) / |x|
// where the norm was not clamped, gn / eps where it was (the clamp is constant there).
inline at::Tensor normalize_backward(const at::Tensor& xn, const at::Tensor& norm, const at::Tensor& gn) {
  at::Tensor along = (gn * xn).sum(-1, /*keepdim=*/true).mul_(norm > kCosineEpsilon);
  return (gn - xn * along).div_(norm);
}

// [x, columns...] along the last dimension; each column is [..., 1].
inline at::Tensor augment(const at::Tensor& x, const at::Tensor& a, const at::Tensor& b = {}) {
  return b.defined() ? at::cat({x, a, b}, -1) : at::cat({x, a}, -1);
}

inline at::Tensor squared_norms(const at::Tensor& x) { return (x * x).sum(-1, /*keepdim=*/true); }

// s = |q|^2 + |c|^2 - 2 q.c for every pair, [C,S,N], as one matrix product of
// augmented rows, [-2q, |q|^2, 1] . [c, 1, |c|^2], so that no [C,S,N] pass is
// spent on the norms. With `negate`, -s: [2q, -|q|^2, -1] . [c, 1, |c|^2].
inline at::Tensor squared_distances(const at::Tensor& q, const at::Tensor& c, bool negate, at::Tensor out = {}) {
  at::Tensor qq = squared_norms(q);
  at::Tensor q_aug = negate ? augment(q * 2.0, qq.neg(), at::full_like(qq, -1.0))
                            : augment(q * -2.0, qq, at::ones_like(qq));
  at::Tensor cc = squared_norms(c);
  at::Tensor c_aug = augment(c, at::ones_like(cc), cc);
  if (out.defined()) return at::bmm_out(out, q_aug, c_aug.transpose(1, 2));
  return at::bmm(q_aug, c_aug.transpose(1, 2));
}

// Gradients of sum(w * -s) for s as above: grad_q = 2 w c - 2 q rowsum(w),
// grad_c = 2 w^T q - 2 c colsum(w), each from one matrix product against rows
// augmented with a column of ones (which yields the sum beside the product).
inline void squared_distance_backward(const at::Tensor& q, const at::Tensor& c, const at::Tensor& w,
                                      at::Tensor* grad_q, at::Tensor* grad_c) {
  const int64_t d = q.size(-1);
  auto side = [d](const at::Tensor& weights, const at::Tensor& other, const at::Tensor& self, at::Tensor* grad) {
    at::Tensor product = at::bmm(weights, augment(other, at::ones({other.size(0), other.size(1), 1}, other.options())));
    at::mul_out(*grad, self, product.narrow(-1, d, 1));
    grad->sub_(product.narrow(-1, 0, d)).mul_(-2.0);
  };
  if (grad_q) side(w, c, q, grad_q);
  if (grad_c) side(w.transpose(1, 2), q, c, grad_c);
}

}  // namespace detail

// out[b] = cmp(a[b], b[b]).
inline at::Tensor rows(uint32_t cmp, const at::Tensor& a, const at::Tensor& b) {
  switch (cmp) {
    case MARIUS_COMPARATOR_DOT: return (a * b).sum(-1);
    case MARIUS_COMPARATOR_COSINE: return (detail::normalized(a).first * detail::normalized(b).first).sum(-1);
    case MARIUS_COMPARATOR_L2: return (a - b).pow(2).sum(-1).clamp_min_(kSquaredDistanceFloor).sqrt_().neg_();
    case MARIUS_COMPARATOR_SQUARED_L2: return (a - b).pow(2).sum(-1).neg_();
    default: throw std::invalid_argument("unknown comparator " + std::to_string(cmp));
  }
}

inline void rows_backward(uint32_t cmp, const at::Tensor& a, const at::Tensor& b, const at::Tensor& g,
                          at::Tensor* grad_a, at::Tensor* grad_b) {
  at::Tensor w = g.unsqueeze(-1);
  switch (cmp) {
    case MARIUS_COMPARATOR_DOT:
      if (grad_a) at::mul_out(*grad_a, b, w);
      if (grad_b) at::mul_out(*grad_b, a, w);
      return;
    case MARIUS_COMPARATOR_COSINE: {
      auto [an, a_norm] = detail::normalized(a);
      auto [bn, b_norm] = detail::normalized(b);
      if (grad_a) grad_a->copy_(detail::normalize_backward(an, a_norm, bn * w));
      if (grad_b) grad_b->copy_(detail::normalize_backward(bn, b_norm, an * w));
      return;
    }
    case MARIUS_COMPARATOR_L2:
    case MARIUS_COMPARATOR_SQUARED_L2: {
      at::Tensor diff = a - b;
      at::Tensor scale;  // d out / d diff = scale * diff
      if (cmp == MARIUS_COMPARATOR_SQUARED_L2) {
        scale = w * -2.0;
      } else {
        at::Tensor s = diff.pow(2).sum(-1, /*keepdim=*/true);
        at::Tensor live = s > kSquaredDistanceFloor;
        scale = (w.neg() * live).div_(s.clamp_min(kSquaredDistanceFloor).sqrt_());
      }
      at::Tensor grad = diff.mul_(scale);
      if (grad_a) grad_a->copy_(grad);
      if (grad_b) at::neg_out(*grad_b, grad);
      return;
    }
    default: throw std::invalid_argument("unknown comparator " + std::to_string(cmp));
  }
}

// out[c,s,n] = cmp(q[c,s], c[c,n]); written into `out` when it is defined ([C,S,N], contiguous).
inline at::Tensor chunked(uint32_t cmp, const at::Tensor& q, const at::Tensor& c, at::Tensor out = {}) {
  switch (cmp) {
    case MARIUS_COMPARATOR_DOT:
      if (out.defined()) return at::bmm_out(out, q, c.transpose(1, 2));
      return at::bmm(q, c.transpose(1, 2));
    case MARIUS_COMPARATOR_COSINE: {
      at::Tensor qn = detail::normalized(q).first, cn = detail::normalized(c).first;
      if (out.defined()) return at::bmm_out(out, qn, cn.transpose(1, 2));
      return at::bmm(qn, cn.transpose(1, 2));
    }
    case MARIUS_COMPARATOR_L2:
      return detail::squared_distances(q, c, /*negate=*/false, out).clamp_min_(kSquaredDistanceFloor).sqrt_().neg_();
    case MARIUS_COMPARATOR_SQUARED_L2: return detail::squared_distances(q, c, /*negate=*/true, out);
    default: throw std::invalid_argument("unknown comparator " + std::to_string(cmp));
  }
}

inline void chunked_backward(uint32_t cmp, const at::Tensor& q, const at::Tensor& c, const at::Tensor& g,
                             at::Tensor* grad_q, at::Tensor* grad_c) {
  switch (cmp) {
    case MARIUS_COMPARATOR_DOT:
      if (grad_q) at::bmm_out(*grad_q, g, c);
      if (grad_c) at::bmm_out(*grad_c, g.transpose(1, 2), q);
      return;
    case MARIUS_COMPARATOR_COSINE: {
      auto [qn, q_norm] = detail::normalized(q);
      auto [cn, c_norm] = detail::normalized(c);
      if (grad_q) grad_q->copy_(detail::normalize_backward(qn, q_norm, at::bmm(g, cn)));
      if (grad_c) grad_c->copy_(detail::normalize_backward(cn, c_norm, at::bmm(g.transpose(1, 2), qn)));
      return;
    }
    case MARIUS_COMPARATOR_SQUARED_L2: detail::squared_distance_backward(q, c, g, grad_q, grad_c); return;
    case MARIUS_COMPARATOR_L2: {
      // out = -sqrt(s): d loss / d (-s) = g / (2 sqrt(s)) where s was not clamped.
      at::Tensor s = detail::squared_distances(q, c, /*negate=*/false);
      at::Tensor live = s > kSquaredDistanceFloor;  // before s is clamped in place
      at::Tensor w = (g * live).div_(s.clamp_min_(kSquaredDistanceFloor).sqrt_().mul_(2.0));
      detail::squared_distance_backward(q, c, w, grad_q, grad_c);
      return;
    }
    default: throw std::invalid_argument("unknown comparator " + std::to_string(cmp));
  }
}

}  // namespace marius::sdk::comparators

#endif  // MARIUS_SDK_COMPARATORS_HPP_
