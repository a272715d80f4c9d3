// The losses' closed-form gradients and the sparse optimizers, against
// references (autograd, dense Adagrad).
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "core/kernels/loss.h"
#include "core/kernels/sparse_optimizer.h"
#include "test_util.h"

namespace marius {
namespace {

at::Tensor reference_loss(LossKind kind, const at::Tensor& pos, const at::Tensor& neg, const at::Tensor& w, double margin) {
  switch (kind) {
    case LossKind::kSoftmax: {
      at::Tensor logits = at::cat({pos.unsqueeze(-1), neg}, -1);
      return ((at::logsumexp(logits, -1) - pos) * w).sum();
    }
    case LossKind::kRanking:
      return (at::relu(neg - pos.unsqueeze(-1) + margin) * w.unsqueeze(-1)).sum();
    case LossKind::kLogistic:
      return ((at::softplus(-pos) + at::softplus(neg).mean(-1)) * w).sum();
  }
  return {};
}

class Losses : public ::testing::TestWithParam<LossKind> {};

TEST_P(Losses, ClosedFormGradientsMatchAutograd) {
  at::manual_seed(1);
  at::Tensor pos = (at::randn({3, 4}) * 3).requires_grad_();
  at::Tensor neg = (at::randn({3, 4, 7}) * 3).requires_grad_();
  at::Tensor w = at::rand({3, 4});
  w[1][2] = 0;  // padding
  at::Tensor expected = reference_loss(GetParam(), pos, neg, w, 0.5);
  auto grads = torch::autograd::grad({expected}, {pos, neg});
  at::Tensor grad_pos = at::zeros({3, 4}), grad_neg;
  double loss = contrastive_loss(GetParam(), pos.detach(), neg.detach(), w, 0.5, grad_pos, grad_neg);
  EXPECT_NEAR(loss, expected.item<double>(), 1e-4 * std::max(1.0, std::abs(loss)));
  EXPECT_TRUE(at::allclose(grad_pos, grads[0], 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(grad_neg, grads[1], 1e-5, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(All, Losses, ::testing::Values(LossKind::kSoftmax, LossKind::kRanking, LossKind::kLogistic));

TEST(SparseAdagrad, EqualsDenseAdagradWithRepeatedRows) {
  at::manual_seed(2);
  at::Tensor param = at::randn({10, 5}), state = at::rand({10, 5});
  at::Tensor ids = at::tensor({3, 1, 3, 7, 1, 3}, at::kLong);
  at::Tensor grads = at::randn({6, 5});
  // Dense reference: summed gradient per row, then Adagrad on touched rows only.
  at::Tensor dense = at::zeros({10, 5}).index_add_(0, ids, grads);
  at::Tensor touched = (dense.abs().sum(1) > 0).unsqueeze(1);
  at::Tensor s_ref = state + dense * dense;
  at::Tensor p_ref = at::where(touched, param - 0.1 * dense / (s_ref.sqrt() + 1e-10), param);
  s_ref = at::where(touched, s_ref, state);

  at::Tensor p1 = param.clone(), s1 = state.clone();
  sparse_adagrad(p1, s1, {{ids.slice(0, 0, 2), grads.slice(0, 0, 2)}, {ids.slice(0, 2), grads.slice(0, 2)}}, 0.1, 1e-10);
  EXPECT_TRUE(at::allclose(p1, p_ref, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(s1, s_ref, 1e-5, 1e-6));
  at::Tensor p2 = param.clone(), s2 = state.clone();
  sparse_adagrad(p2, s2, ids, grads, 0.1, 1e-10);  // the sort-based path
  EXPECT_TRUE(at::allclose(p2, p_ref, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(s2, s_ref, 1e-5, 1e-6));
}

TEST(SparseAdagrad, RowWiseKeepsOneAccumulatorPerRowOnBothPaths) {
  at::manual_seed(4);
  at::Tensor param = at::randn({10, 5}), state = at::rand({10, 1}).expand({10, 5}).contiguous();
  at::Tensor ids = at::tensor({3, 1, 3, 7, 1, 3}, at::kLong);
  at::Tensor grads = at::randn({6, 5});
  // Reference: summed gradient per row; the row's accumulator grows by the mean of its squares.
  at::Tensor dense = at::zeros({10, 5}).index_add_(0, ids, grads);
  at::Tensor touched = (dense.abs().sum(1) > 0).unsqueeze(1);
  at::Tensor s_ref = state + (dense * dense).mean(1, /*keepdim=*/true);
  at::Tensor p_ref = at::where(touched, param - 0.1 * dense / (s_ref.sqrt() + 1e-10), param);
  s_ref = at::where(touched, s_ref, state);

  at::Tensor p1 = param.clone(), s1 = state.clone();
  sparse_adagrad(p1, s1, {{ids.slice(0, 0, 2), grads.slice(0, 0, 2)}, {ids.slice(0, 2), grads.slice(0, 2)}}, 0.1, 1e-10,
                 /*fused=*/true, /*row_wise=*/true);
  EXPECT_TRUE(at::allclose(p1, p_ref, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(s1, s_ref, 1e-5, 1e-6));
  at::Tensor p2 = param.clone(), s2 = state.clone();
  sparse_adagrad(p2, s2, {{ids, grads}}, 0.1, 1e-10, /*fused=*/false, /*row_wise=*/true);  // the device path
  EXPECT_TRUE(at::allclose(p2, p_ref, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(s2, s_ref, 1e-5, 1e-6));
  // Element-wise Adagrad would have moved the rows differently.
  at::Tensor p3 = param.clone(), s3 = state.clone();
  sparse_adagrad(p3, s3, ids, grads, 0.1, 1e-10);
  EXPECT_FALSE(at::allclose(p3, p_ref, 1e-5, 1e-6));
}

TEST(SparseAdam, UpdatesOnlyTouchedRowsWithPerRowSteps) {
  at::Tensor param = at::ones({4, 2}), m = at::zeros({4, 2}), v = at::zeros({4, 2});
  at::Tensor steps = at::zeros({4}, at::kLong);
  sparse_adam(param, m, v, steps, at::tensor({2}, at::kLong), at::full({1, 2}, 0.5), 0.1, 0.9, 0.999, 1e-8);
  // First Adam step moves by lr * sign(g).
  EXPECT_NEAR(param[2][0].item<float>(), 0.9f, 1e-5);
  EXPECT_EQ(param[0][0].item<float>(), 1.0f);
  EXPECT_EQ(steps[2].item<int64_t>(), 1);
  EXPECT_EQ(steps[0].item<int64_t>(), 0);
}

}  // namespace
}  // namespace marius
