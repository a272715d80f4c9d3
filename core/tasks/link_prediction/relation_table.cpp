#include "core/tasks/link_prediction/relation_table.h"

#include <ATen/ATen.h>

#include "core/kernels/sparse_optimizer.h"

namespace marius {

RelationTable::RelationTable(Model& model, const Config& config, bool host_kernels)
    : model_(model), config_(config), host_kernels_(host_kernels) {}

at::Tensor RelationTable::gather(const at::Tensor& ids) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return model_.relations.index_select(0, ids);
}

bool RelationTable::apply(const at::Tensor& ids, const at::Tensor& grads) {
  if (model_.relation_width == 0) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (config_.relation_optimizer == RelationOptimizer::kAdam) {
    return sparse_adam(model_.relations, model_.relation_state, model_.relation_state2, model_.relation_steps, ids,
                       grads, config_.relation_lr(), config_.adam_beta1, config_.adam_beta2, config_.adam_eps);
  }
  return sparse_adagrad(model_.relations, model_.relation_state, {{ids, grads}}, config_.relation_lr(),
                        config_.adagrad_eps, /*fused=*/host_kernels_);
}

}  // namespace marius
