#include "core/tasks/link_prediction/relation_table.h"

#include <algorithm>

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
  const bool finite =
      config_.relation_optimizer == RelationOptimizer::kAdam
          ? sparse_adam(model_.relations, model_.relation_state, model_.relation_state2, model_.relation_steps, ids,
                        grads, config_.relation_lr(), config_.adam_beta1, config_.adam_beta2, config_.adam_eps)
          : sparse_adagrad(model_.relations, model_.relation_state, {{ids, grads}}, config_.relation_lr(),
                           config_.adagrad_eps, /*fused=*/host_kernels_);
  if (finite && sync_ && ++applied_ >= sync_every_) {
    applied_ = 0;
    sync_();
  }
  return finite;
}

void RelationTable::share(std::function<void()> sync, int64_t every) {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_ = std::move(sync);
  sync_every_ = std::max<int64_t>(1, every);
  applied_ = 0;
}

}  // namespace marius
