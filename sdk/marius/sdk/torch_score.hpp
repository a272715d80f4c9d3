// marius/sdk/torch_score.hpp - write a score function in LibTorch.
//
// Derive from TorchScoreFunction and take one of two routes (docs/plugins.md
// compares them):
//
// 1. Operator + comparator (fast): the score is a relation operator applied to
//    one side followed by a comparator the host runs as matrix products against
//    the shared negatives (dot, cosine, L2, squared L2), as in PyTorch-BigGraph.
//    Implement `comparator` and `relation_operator`; the adapter declares the
//    decomposition through the ABI (1.2) and the host does the rest at the speed
//    of its built-in models. Backward of the operator comes from autograd unless
//    `relation_operator_backward` gives it in closed form.
//
//        uint32_t comparator() const override { return MARIUS_COMPARATOR_DOT; }
//        at::Tensor relation_operator(uint32_t side, const at::Tensor& x, const at::Tensor& rel) const override {
//          return x * rel;  // DistMult: the same diagonal operator on both sides
//        }
//
// 2. Any expression (general): implement `score`, which broadcasts over leading
//    dimensions; the adapter evaluates it in every mode and derives backward
//    with autograd. The chunked modes score every edge against every negative,
//    [C,S,1,*] against [C,1,N,*]: the adapter evaluates them in tiles of
//    negatives (and, in evaluation, of candidate nodes) whose broadcast
//    temporaries stay within `tile_bytes()`, running each tile's forward and
//    backward before the next, so memory stays bounded and the allocator
//    reuses the same blocks from tile to tile and batch to batch. It costs
//    C*S*N*D element operations per expression term, against one matrix product
//    for route 1: expect it to be an order of magnitude slower.
//    `score_chunked` (a matrix product, say) and `score_backward` (closed-form
//    gradients) may be overridden for speed.
//
//     class MyScore : public marius::sdk::TorchScoreFunction {
//      public:
//       explicit MyScore(const marius::sdk::Options&) {}
//      protected:
//       at::Tensor score(const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) const override {
//         return (lhs * rel * rhs).sum(-1);
//       }
//     };
//     MARIUS_TORCH_PLUGIN(MyScore, "my_score", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT)
//
// A plugin using this adapter links LibTorch (see torch_common.hpp).
#ifndef MARIUS_SDK_TORCH_SCORE_HPP_
#define MARIUS_SDK_TORCH_SCORE_HPP_

#include <algorithm>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "marius/sdk/comparators.hpp"
#include "marius/sdk/torch_common.hpp"

namespace marius::sdk {

class TorchScoreFunction : public ScoreFunction {
 public:
  // The default bound on one broadcast temporary of a tile (route 2).
  static constexpr int64_t kDefaultTileBytes = int64_t{4} << 20;

  // R = D unless overridden.
  int64_t relation_width(const marius_call_context&, int64_t dim) override {
    require_arg(dim > 0, "embedding dimension must be positive, got " + std::to_string(dim));
    return dim;
  }

  // Ones unless overridden (the identity of multiplicative relations).
  void init_relations(const marius_call_context&, DLTensor& params) override {
    as_tensor(&params, "params", 2).fill_(1.0f);
  }

  uint32_t decompose(const marius_call_context&) override {
    const uint32_t cmp = comparator();
    require_arg(cmp == MARIUS_COMPARATOR_NONE || comparators::known(cmp),
                "comparator() returned " + std::to_string(cmp) + ", not a MARIUS_COMPARATOR_*");
    return cmp;
  }

  void apply_operator(const marius_call_context&, const marius_operator_args& args) override {
    at::NoGradGuard no_grad;
    OperatorInputs in = operator_inputs(args);
    at::Tensor y = as_tensor(args.y, "y", 2);
    require_arg(y.sizes() == in.x.sizes(), "y must be shaped like x");
    y.copy_(checked_operator(args.side, in.x, in.rel));
  }

  void operator_backward(const marius_call_context&, const marius_operator_args& args) override {
    OperatorInputs in = operator_inputs(args);
    at::Tensor grad_y = as_tensor(args.grad_y, "grad_y", 2);
    require_arg(grad_y.sizes() == in.x.sizes(), "grad_y must be shaped like x");
    at::Tensor gx = args.grad_x ? as_tensor(args.grad_x, "grad_x", 2) : at::Tensor();
    at::Tensor gr = args.grad_rel ? as_tensor(args.grad_rel, "grad_rel", 2) : at::Tensor();
    require_arg(!gx.defined() || gx.sizes() == in.x.sizes(), "grad_x must be shaped like x");
    require_arg(!gr.defined() || gr.sizes() == in.rel.sizes(), "grad_rel must be shaped like rel");
    operator_gradients(args.side, in.x, in.rel, grad_y, gx.defined() ? &gx : nullptr, gr.defined() ? &gr : nullptr);
  }

  void forward(const marius_call_context&, const marius_score_args& args) override {
    at::NoGradGuard no_grad;
    Inputs in = inputs(args);
    at::Tensor out = as_tensor(args.out, "out", args.mode == MARIUS_SCORE_POSITIVE ? 1 : 3);
    require_arg(out.sizes() == in.out_shape, "out must be " + shape_of(in.out_shape));
    if (comparator() != MARIUS_COMPARATOR_NONE) {
      composed_forward(args.mode, in, out);
    } else if (args.mode == MARIUS_SCORE_POSITIVE) {
      out.copy_(score(in.lhs, in.rel, in.rhs));
    } else {
      const Sides sides(args.mode, in);
      for (const Tile& tile : tiles(in, args.mode)) {
        at::Tensor negatives = sides.negatives.narrow(1, tile.begin, tile.size);
        out.narrow(2, tile.begin, tile.size).copy_(sides.evaluate(*this, sides.edges, in.rel, negatives));
      }
    }
  }

  void backward(const marius_call_context&, const marius_score_args& args) override {
    Inputs in = inputs(args);
    at::Tensor grad_out = as_tensor(args.grad_out, "grad_out", args.mode == MARIUS_SCORE_POSITIVE ? 1 : 3);
    require_arg(grad_out.sizes() == in.out_shape, "grad_out must be " + shape_of(in.out_shape));
    const at::Tensor* sources[3] = {&in.lhs, &in.rel, &in.rhs};
    DLTensor* targets[3] = {args.grad_lhs, args.grad_rel, args.grad_rhs};
    const char* names[3] = {"grad_lhs", "grad_rel", "grad_rhs"};
    at::Tensor outputs[3];
    for (int i = 0; i < 3; ++i) {
      if (targets[i] == nullptr) continue;
      outputs[i] = as_tensor(targets[i], names[i], sources[i]->dim());
      require_arg(outputs[i].sizes() == sources[i]->sizes(), std::string(names[i]) + " must match its input's shape");
    }
    at::Tensor* out_ptrs[3];
    for (int i = 0; i < 3; ++i) out_ptrs[i] = targets[i] ? &outputs[i] : nullptr;
    if (comparator() != MARIUS_COMPARATOR_NONE) {
      at::NoGradGuard no_grad;
      composed_backward(args.mode, in, grad_out, out_ptrs);
      return;
    }
    {
      at::NoGradGuard no_grad;
      if (score_backward(args.mode, in.lhs, in.rel, in.rhs, grad_out, out_ptrs[0], out_ptrs[1], out_ptrs[2])) {
        return;
      }
    }
    if (args.mode == MARIUS_SCORE_POSITIVE) {
      autograd_gradients(in.lhs, in.rel, in.rhs, grad_out, out_ptrs,
                         [&](const at::Tensor& l, const at::Tensor& r, const at::Tensor& h) { return score(l, r, h); });
      return;
    }
    // Chunked: tile by tile, forward and backward together. The edges' and the
    // relations' gradients add up over the tiles; each tile's negatives get theirs.
    const Sides sides(args.mode, in);
    const int edges_index = sides.rhs_corrupted ? 0 : 2, negatives_index = 2 - edges_index;
    at::Tensor* g_edges = out_ptrs[edges_index];
    at::Tensor* g_rel = out_ptrs[1];
    at::Tensor* g_negatives = out_ptrs[negatives_index];
    if (g_edges) g_edges->zero_();
    if (g_rel) g_rel->zero_();
    at::Tensor e_part = g_edges ? at::empty_like(*g_edges) : at::Tensor();
    at::Tensor r_part = g_rel ? at::empty_like(*g_rel) : at::Tensor();
    for (const Tile& tile : tiles(in, args.mode)) {
      at::Tensor negatives = sides.negatives.narrow(1, tile.begin, tile.size);
      at::Tensor g_tile = g_negatives ? g_negatives->narrow(1, tile.begin, tile.size) : at::Tensor();
      at::Tensor* parts[3];
      parts[edges_index] = g_edges ? &e_part : nullptr;
      parts[1] = g_rel ? &r_part : nullptr;
      parts[negatives_index] = g_negatives ? &g_tile : nullptr;
      at::Tensor grad_tile = grad_out.narrow(2, tile.begin, tile.size);
      const at::Tensor& l = sides.rhs_corrupted ? sides.edges : negatives;
      const at::Tensor& h = sides.rhs_corrupted ? negatives : sides.edges;
      autograd_gradients(l, in.rel, h, grad_tile, parts, [&](const at::Tensor& a, const at::Tensor& r, const at::Tensor& b) {
        return score_chunked(args.mode, a, r, b);
      });
      if (g_edges) g_edges->add_(e_part);
      if (g_rel) g_rel->add_(r_part);
    }
  }

 protected:
  // ---- Route 1: operator + comparator ----

  // MARIUS_COMPARATOR_DOT, _COSINE, _L2 or _SQUARED_L2 to take route 1; the
  // default, MARIUS_COMPARATOR_NONE, takes route 2. May depend on the options.
  virtual uint32_t comparator() const { return MARIUS_COMPARATOR_NONE; }

  // y = op_side(x, rel) with x, y [B,D] and rel [B,R], such that
  // score(h, r, t) = cmp(op(MARIUS_OPERATOR_RHS, h, r), t) = cmp(h, op(MARIUS_OPERATOR_LHS, t, r)).
  virtual at::Tensor relation_operator(uint32_t side, const at::Tensor& x, const at::Tensor& rel) const {
    (void)side, (void)x, (void)rel;
    throw Error(MARIUS_ERR_UNSUPPORTED, "comparator() named a comparator but relation_operator is not implemented");
  }

  // Closed-form gradients of sum(grad_y * op(side, x, rel)) into each non-null
  // output; returns true. The default returns false: autograd derives them.
  virtual bool relation_operator_backward(uint32_t side, const at::Tensor& x, const at::Tensor& rel,
                                          const at::Tensor& grad_y, at::Tensor* grad_x, at::Tensor* grad_rel) const {
    (void)side, (void)x, (void)rel, (void)grad_y, (void)grad_x, (void)grad_rel;
    return false;
  }

  // ---- Route 2: any expression ----

  // The score of matching rows: lhs [...,D], rel [...,R], rhs [...,D] -> [...],
  // broadcasting over the leading dimensions. Route 1 need not implement it.
  virtual at::Tensor score(const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) const {
    if (comparator() == MARIUS_COMPARATOR_NONE) {
      throw Error(MARIUS_ERR_UNSUPPORTED, "implement score(), or comparator() and relation_operator()");
    }
    return comparators::rows(comparator(), relation_operator(MARIUS_OPERATOR_RHS, lhs, rel), rhs);
  }

  // Chunked scores: corrupt_rhs: lhs [C,S,D], rel [C,S,R], rhs [C,N,D];
  // corrupt_lhs: lhs [C,N,D], rel [C,S,R], rhs [C,S,D]; both give [C,S,N].
  // Called on tiles of the negatives (N is the tile's width).
  virtual at::Tensor score_chunked(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel,
                                   const at::Tensor& rhs) const {
    if (mode == MARIUS_SCORE_CORRUPT_RHS) return score(lhs.unsqueeze(2), rel.unsqueeze(2), rhs.unsqueeze(1));
    return score(lhs.unsqueeze(1), rel.unsqueeze(2), rhs.unsqueeze(2));
  }

  // Gradients in closed form, for speed: writes d loss / d input into each
  // non-null output (shaped like its input) given grad_out = d loss / d scores,
  // and returns true, for whole (untiled) inputs. The default returns false, and
  // the adapter derives the gradients with autograd, tile by tile.
  virtual bool score_backward(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs,
                              const at::Tensor& grad_out, at::Tensor* grad_lhs, at::Tensor* grad_rel,
                              at::Tensor* grad_rhs) const {
    (void)mode, (void)lhs, (void)rel, (void)rhs, (void)grad_out, (void)grad_lhs, (void)grad_rel, (void)grad_rhs;
    return false;
  }

  // The bound, in bytes, on one [C,S,tile,max(D,R)] float temporary of route 2.
  virtual int64_t tile_bytes() const { return kDefaultTileBytes; }

 private:
  struct Inputs {
    at::Tensor lhs, rel, rhs;
    std::vector<int64_t> out_shape;
  };
  struct OperatorInputs {
    at::Tensor x, rel;
  };
  struct Tile {
    int64_t begin, size;
  };

  // Which side of a chunked call holds the edges and which the negatives.
  struct Sides {
    Sides(uint32_t mode, const Inputs& in)
        : rhs_corrupted(mode == MARIUS_SCORE_CORRUPT_RHS),
          edges(rhs_corrupted ? in.lhs : in.rhs),
          negatives(rhs_corrupted ? in.rhs : in.lhs),
          mode(mode) {}
    at::Tensor evaluate(const TorchScoreFunction& fn, const at::Tensor& e, const at::Tensor& rel,
                        const at::Tensor& negs) const {
      return rhs_corrupted ? fn.score_chunked(mode, e, rel, negs) : fn.score_chunked(mode, negs, rel, e);
    }
    bool rhs_corrupted;
    const at::Tensor& edges;
    const at::Tensor& negatives;
    uint32_t mode;
  };

  static std::string shape_of(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
  }

  // Tiles of the negatives [C,N,D] whose broadcast [C,S,tile,max(D,R)] stays within tile_bytes().
  std::vector<Tile> tiles(const Inputs& in, uint32_t mode) const {
    const at::Tensor& negatives = mode == MARIUS_SCORE_CORRUPT_RHS ? in.rhs : in.lhs;
    const int64_t n = negatives.size(1);
    const int64_t per_negative =
        std::max<int64_t>(1, in.rel.size(0) * in.rel.size(1) * std::max(negatives.size(2), in.rel.size(2)) * 4);
    const int64_t width = std::clamp<int64_t>(tile_bytes() / per_negative, 1, std::max<int64_t>(n, 1));
    std::vector<Tile> out;
    for (int64_t begin = 0; begin < n; begin += width) out.push_back({begin, std::min(width, n - begin)});
    return out;
  }

  // Gradients of sum(grad * f(l, r, h)) by autograd into the non-null outputs[3] (overwritten).
  template <class F>
  static void autograd_gradients(const at::Tensor& l, const at::Tensor& r, const at::Tensor& h, const at::Tensor& grad,
                                 at::Tensor* const outputs[3], F&& f) {
    at::AutoGradMode enable_grad(true);
    const at::Tensor* sources[3] = {&l, &r, &h};
    std::vector<at::Tensor> leaves(3), wanted;
    for (int i = 0; i < 3; ++i) {
      leaves[i] = sources[i]->detach().requires_grad_(outputs[i] != nullptr);
      if (outputs[i] != nullptr) wanted.push_back(leaves[i]);
    }
    if (wanted.empty()) return;
    at::Tensor out = f(leaves[0], leaves[1], leaves[2]);
    std::vector<at::Tensor> grads = torch::autograd::grad({out}, wanted, {grad}, /*retain_graph=*/false,
                                                          /*create_graph=*/false, /*allow_unused=*/true);
    size_t next = 0;
    for (int i = 0; i < 3; ++i) {
      if (outputs[i] == nullptr) continue;
      const at::Tensor& g = grads[next++];
      if (g.defined()) {
        outputs[i]->copy_(g);
      } else {
        outputs[i]->zero_();
      }
    }
  }

  // ---- Route 1, composed here for hosts that do not decompose (older than 1.2) ----

  at::Tensor checked_operator(uint32_t side, const at::Tensor& x, const at::Tensor& rel) const {
    at::Tensor y = relation_operator(side, x, rel);
    require_arg(y.sizes() == x.sizes(), "relation_operator must return a tensor shaped like x");
    return y;
  }

  void operator_gradients(uint32_t side, const at::Tensor& x, const at::Tensor& rel, const at::Tensor& grad_y,
                          at::Tensor* grad_x, at::Tensor* grad_rel) const {
    {
      at::NoGradGuard no_grad;
      if (relation_operator_backward(side, x, rel, grad_y, grad_x, grad_rel)) return;
    }
    at::Tensor* outputs[3] = {grad_x, grad_rel, nullptr};
    autograd_gradients(x, rel, x, grad_y, outputs,
                       [&](const at::Tensor& a, const at::Tensor& r, const at::Tensor&) { return relation_operator(side, a, r); });
  }

  // The operator's input side of a mode: POSITIVE and CORRUPT_RHS apply op_rhs
  // to the heads, CORRUPT_LHS op_lhs to the tails (flattened to [B,D]).
  static uint32_t operator_side(uint32_t mode) {
    return mode == MARIUS_SCORE_CORRUPT_LHS ? MARIUS_OPERATOR_LHS : MARIUS_OPERATOR_RHS;
  }

  void composed_forward(uint32_t mode, const Inputs& in, at::Tensor& out) const {
    const uint32_t cmp = comparator();
    if (mode == MARIUS_SCORE_POSITIVE) {
      out.copy_(comparators::rows(cmp, checked_operator(MARIUS_OPERATOR_RHS, in.lhs, in.rel), in.rhs));
      return;
    }
    const Sides sides(mode, in);
    const auto shape = sides.edges.sizes();
    const int64_t rows = shape[0] * shape[1];
    at::Tensor y = checked_operator(operator_side(mode), sides.edges.reshape({rows, shape[2]}),
                                    in.rel.reshape({rows, in.rel.size(2)}));
    comparators::chunked(cmp, y.view(shape), sides.negatives, out);
  }

  void composed_backward(uint32_t mode, const Inputs& in, const at::Tensor& grad_out, at::Tensor* const outs[3]) const {
    const uint32_t cmp = comparator();
    if (mode == MARIUS_SCORE_POSITIVE) {
      at::Tensor y = checked_operator(MARIUS_OPERATOR_RHS, in.lhs, in.rel), grad_y = at::empty_like(y);
      comparators::rows_backward(cmp, y, in.rhs, grad_out, &grad_y, outs[2]);
      operator_gradients(MARIUS_OPERATOR_RHS, in.lhs, in.rel, grad_y, outs[0], outs[1]);
      return;
    }
    const Sides sides(mode, in);
    const auto shape = sides.edges.sizes();
    const int64_t rows = shape[0] * shape[1];
    at::Tensor x = sides.edges.reshape({rows, shape[2]}), rel = in.rel.reshape({rows, in.rel.size(2)});
    at::Tensor y = checked_operator(operator_side(mode), x, rel).view(shape), grad_y = at::empty_like(y);
    at::Tensor* g_negatives = outs[sides.rhs_corrupted ? 2 : 0];
    comparators::chunked_backward(cmp, y, sides.negatives, grad_out, &grad_y, g_negatives);
    at::Tensor* g_edges = outs[sides.rhs_corrupted ? 0 : 2];
    at::Tensor gx = g_edges ? g_edges->view({rows, shape[2]}) : at::Tensor();
    at::Tensor gr = outs[1] ? outs[1]->view({rows, in.rel.size(2)}) : at::Tensor();
    operator_gradients(operator_side(mode), x, rel, grad_y.view({rows, shape[2]}), g_edges ? &gx : nullptr,
                       outs[1] ? &gr : nullptr);
  }

  static OperatorInputs operator_inputs(const marius_operator_args& args) {
    require_arg(args.side == MARIUS_OPERATOR_RHS || args.side == MARIUS_OPERATOR_LHS,
                "unknown operator side " + std::to_string(args.side));
    OperatorInputs in{as_tensor(args.x, "x", 2), as_tensor(args.rel, "rel", 2)};
    require_arg(in.rel.size(0) == in.x.size(0), "x [B,D] and rel [B,R] must have equal B");
    return in;
  }

  // Wraps and checks the inputs of `args` against the mode's shape contract.
  static Inputs inputs(const marius_score_args& args) {
    require_arg(args.mode == MARIUS_SCORE_POSITIVE || args.mode == MARIUS_SCORE_CORRUPT_RHS ||
                    args.mode == MARIUS_SCORE_CORRUPT_LHS,
                "unknown score mode " + std::to_string(args.mode));
    const int32_t ndim = args.mode == MARIUS_SCORE_POSITIVE ? 2 : 3;
    Inputs in{as_tensor(args.lhs, "lhs", ndim), as_tensor(args.rel, "rel", ndim), as_tensor(args.rhs, "rhs", ndim), {}};
    const auto& l = in.lhs;
    const auto& r = in.rel;
    const auto& h = in.rhs;
    if (args.mode == MARIUS_SCORE_POSITIVE) {
      require_arg(l.sizes() == h.sizes() && r.size(0) == l.size(0),
                  "positive mode takes lhs [B,D], rel [B,R], rhs [B,D] with equal B and D");
      in.out_shape = {l.size(0)};
    } else {
      const at::Tensor& edges = args.mode == MARIUS_SCORE_CORRUPT_RHS ? l : h;
      const at::Tensor& negatives = args.mode == MARIUS_SCORE_CORRUPT_RHS ? h : l;
      require_arg(edges.size(0) == negatives.size(0) && edges.size(2) == negatives.size(2) &&
                      r.size(0) == edges.size(0) && r.size(1) == edges.size(1),
                  "chunked modes take edges [C,S,D], rel [C,S,R] and negatives [C,N,D]");
      in.out_shape = {edges.size(0), edges.size(1), negatives.size(1)};
    }
    return in;
  }
};

}  // namespace marius::sdk

#endif  // MARIUS_SDK_TORCH_SCORE_HPP_
