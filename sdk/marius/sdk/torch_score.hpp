// marius/sdk/torch_score.hpp - write a score function as a LibTorch expression.
//
// Derive from TorchScoreFunction and implement `score`; the adapter does the rest:
// it checks the tensors of every call, wraps them as at::Tensors without copying,
// evaluates your expression in each mode, and derives backward with autograd.
//
//     class MyScore : public marius::sdk::TorchScoreFunction {
//      public:
//       explicit MyScore(const marius::sdk::Options&) {}
//      protected:
//       at::Tensor score(const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) const override {
//         return (lhs * rel * rhs).sum(-1);
//       }
//     };
//     MARIUS_PLUGIN(MyScore, "my_score", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT)
//
// `score` broadcasts over leading dimensions, so the default chunked modes
// evaluate it on [C,S,1,*] x [C,1,N,*], which costs C*S*N*D memory; override
// `score_chunked` with a matrix product when the function allows one (see the
// built-in DistMult).
//
// A plugin using this adapter links LibTorch (see torch_common.hpp).
#ifndef MARIUS_SDK_TORCH_SCORE_HPP_
#define MARIUS_SDK_TORCH_SCORE_HPP_

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "marius/sdk/torch_common.hpp"

namespace marius::sdk {

class TorchScoreFunction : public ScoreFunction {
 public:
  // R = D unless overridden.
  int64_t relation_width(const marius_call_context&, int64_t dim) override {
    require_arg(dim > 0, "embedding dimension must be positive, got " + std::to_string(dim));
    return dim;
  }

  // Ones unless overridden (the identity of multiplicative relations).
  void init_relations(const marius_call_context&, DLTensor& params) override {
    as_tensor(&params, "params", 2).fill_(1.0f);
  }

  void forward(const marius_call_context&, const marius_score_args& args) override {
    at::NoGradGuard no_grad;
    Inputs in = inputs(args);
    at::Tensor out = as_tensor(args.out, "out", args.mode == MARIUS_SCORE_POSITIVE ? 1 : 3);
    require_arg(out.sizes() == in.out_shape, "out must be " + shape_of(in.out_shape));
    out.copy_(evaluate(args.mode, in.lhs, in.rel, in.rhs));
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
    {
      at::NoGradGuard no_grad;
      if (score_backward(args.mode, in.lhs, in.rel, in.rhs, grad_out, targets[0] ? &outputs[0] : nullptr,
                         targets[1] ? &outputs[1] : nullptr, targets[2] ? &outputs[2] : nullptr)) {
        return;
      }
    }
    at::AutoGradMode enable_grad(true);
    std::vector<at::Tensor> leaves(3);
    std::vector<at::Tensor> wanted;
    for (int i = 0; i < 3; ++i) {
      leaves[i] = sources[i]->detach().requires_grad_(targets[i] != nullptr);
      if (targets[i] != nullptr) wanted.push_back(leaves[i]);
    }
    if (wanted.empty()) return;
    at::Tensor out = evaluate(args.mode, leaves[0], leaves[1], leaves[2]);
    std::vector<at::Tensor> grads =
        torch::autograd::grad({out}, wanted, {grad_out}, /*retain_graph=*/false, /*create_graph=*/false,
                              /*allow_unused=*/true);
    size_t next = 0;
    for (int i = 0; i < 3; ++i) {
      if (targets[i] == nullptr) continue;
      const at::Tensor& g = grads[next++];
      if (g.defined()) {
        outputs[i].copy_(g);
      } else {
        outputs[i].zero_();
      }
    }
  }

 protected:
  // The score of matching rows: lhs [...,D], rel [...,R], rhs [...,D] -> [...],
  // broadcasting over the leading dimensions.
  virtual at::Tensor score(const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) const = 0;

  // Chunked scores: corrupt_rhs: lhs [C,S,D], rel [C,S,R], rhs [C,N,D];
  // corrupt_lhs: lhs [C,N,D], rel [C,S,R], rhs [C,S,D]; both give [C,S,N].
  virtual at::Tensor score_chunked(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel,
                                   const at::Tensor& rhs) const {
    if (mode == MARIUS_SCORE_CORRUPT_RHS) return score(lhs.unsqueeze(2), rel.unsqueeze(2), rhs.unsqueeze(1));
    return score(lhs.unsqueeze(1), rel.unsqueeze(2), rhs.unsqueeze(2));
  }

  // Gradients in closed form, for speed: writes d loss / d input into each
  // non-null output (shaped like its input) given grad_out = d loss / d scores,
  // and returns true. The default returns false, and the adapter derives the
  // gradients with autograd from `score` / `score_chunked`.
  virtual bool score_backward(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs,
                              const at::Tensor& grad_out, at::Tensor* grad_lhs, at::Tensor* grad_rel,
                              at::Tensor* grad_rhs) const {
    (void)mode, (void)lhs, (void)rel, (void)rhs, (void)grad_out, (void)grad_lhs, (void)grad_rel, (void)grad_rhs;
    return false;
  }

 private:
  struct Inputs {
    at::Tensor lhs, rel, rhs;
    std::vector<int64_t> out_shape;
  };

  static std::string shape_of(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
  }

  at::Tensor evaluate(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs) const {
    return mode == MARIUS_SCORE_POSITIVE ? score(lhs, rel, rhs) : score_chunked(mode, lhs, rel, rhs);
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
