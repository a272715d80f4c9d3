#include "core/model/score_autograd.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include "core/error.h"
#include "core/model/score_calls.h"

namespace marius {

namespace {

std::vector<int64_t> output_shape(uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel, const at::Tensor& rhs,
                                  const std::string& label) {
  auto bad = [&](const char* why) -> std::vector<int64_t> {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: score inputs: {} (lhs {}, rel {}, rhs {})", label, why,
         c10::str(lhs.sizes()), c10::str(rel.sizes()), c10::str(rhs.sizes()));
  };
  if (mode == MARIUS_SCORE_POSITIVE) {
    if (lhs.dim() != 2 || rel.dim() != 2 || rhs.dim() != 2) return bad("positive mode takes [B,D], [B,R], [B,D]");
    if (lhs.sizes() != rhs.sizes() || rel.size(0) != lhs.size(0)) return bad("batch sizes or dimensions differ");
    return {lhs.size(0)};
  }
  if (mode != MARIUS_SCORE_CORRUPT_RHS && mode != MARIUS_SCORE_CORRUPT_LHS) return bad("unknown mode");
  if (lhs.dim() != 3 || rel.dim() != 3 || rhs.dim() != 3) return bad("chunked modes take 3-d tensors");
  const at::Tensor& edges = mode == MARIUS_SCORE_CORRUPT_RHS ? lhs : rhs;
  const at::Tensor& negatives = mode == MARIUS_SCORE_CORRUPT_RHS ? rhs : lhs;
  if (edges.size(0) != negatives.size(0) || edges.size(2) != negatives.size(2)) {
    return bad("chunk counts or dimensions differ");
  }
  if (rel.size(0) != edges.size(0) || rel.size(1) != edges.size(1)) return bad("rel must be [C,S,R]");
  return {edges.size(0), edges.size(1), negatives.size(1)};
}

class PluginScore : public torch::autograd::Function<PluginScore> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& lhs, const at::Tensor& rel,
                            const at::Tensor& rhs, int64_t mode, int64_t fn_address) {
    const auto* fn = reinterpret_cast<const ScoreFunction*>(fn_address);
    at::Tensor out = at::empty(output_shape(static_cast<uint32_t>(mode), lhs, rel, rhs, fn->label()), lhs.options());
    CallContext call(fn->label());
    score_forward(*fn, call, static_cast<uint32_t>(mode), lhs, rel, rhs, out);
    ctx->save_for_backward({lhs, rel, rhs});
    ctx->saved_data["mode"] = mode;
    ctx->saved_data["fn"] = fn_address;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto* fn = reinterpret_cast<const ScoreFunction*>(ctx->saved_data["fn"].toInt());
    at::Tensor grads[3];
    for (int i = 0; i < 3; ++i) {
      if (ctx->needs_input_grad(i)) grads[i] = at::empty_like(saved[i]);
    }
    CallContext call(fn->label());
    score_backward(*fn, call, static_cast<uint32_t>(ctx->saved_data["mode"].toInt()), saved[0], saved[1], saved[2],
                   grad_outputs[0], grads[0], grads[1], grads[2]);
    return {grads[0], grads[1], grads[2], at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor plugin_score(const ScoreFunction& fn, uint32_t mode, const at::Tensor& lhs, const at::Tensor& rel,
                        const at::Tensor& rhs) {
  auto prepare = [](const at::Tensor& t) { return t.to(at::kFloat).contiguous(); };
  return PluginScore::apply(prepare(lhs), prepare(rel), prepare(rhs), static_cast<int64_t>(mode),
                            reinterpret_cast<int64_t>(&fn));
}

}  // namespace marius
