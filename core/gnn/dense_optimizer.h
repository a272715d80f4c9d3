// core/gnn/dense_optimizer.h - Adam, AdamW and SGD for dense parameters (the
// GNN encoder's layers), one step per batch on the gradients autograd left in
// each parameter's .grad().
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/config/config.h"

namespace marius {

class DenseOptimizer {
 public:
  // From optimizer.dense, dense_learning_rate, weight_decay and adam_*.
  explicit DenseOptimizer(const Config& config);

  // Updates each parameter that has a grad, in place, and clears the grads.
  // Returns the index of the first parameter whose gradient is not finite
  // (nothing is updated then), or -1.
  int64_t step(std::vector<at::Tensor>& params);

  // The state, for checkpoints: steps taken, and per parameter Adam's first and
  // second moments (undefined before the first step, and for SGD).
  int64_t steps() const { return steps_; }
  void set_steps(int64_t steps) { steps_ = steps; }
  std::vector<at::Tensor>& first_moments() { return m_; }
  std::vector<at::Tensor>& second_moments() { return v_; }

 private:
  DenseOptimizerKind kind_;
  double lr_, decay_, beta1_, beta2_, eps_;
  int64_t steps_ = 0;
  std::vector<at::Tensor> m_, v_;
};

}  // namespace marius
