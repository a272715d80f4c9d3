#include "core/gnn/dense_parameters.h"

#include <ATen/ATen.h>

namespace marius {

DenseParameters::DenseParameters(GnnEncoder& encoder, DenseOptimizer& optimizer, bool async)
    : encoder_(encoder), optimizer_(optimizer), async_(async) {}

DenseParameters::Use DenseParameters::begin() {
  Use use;
  std::unique_lock<std::mutex> lock(mutex_);
  use.version = version_;
  if (!async_) {
    use.by_layer = encoder_.layer_parameters();
    use.lock = std::move(lock);
    return use;
  }
  at::NoGradGuard no_grad;
  for (const std::vector<at::Tensor>& layer : encoder_.layer_parameters()) {
    std::vector<at::Tensor> stash;
    for (const at::Tensor& p : layer) stash.push_back(p.detach().clone().requires_grad_(true));
    use.by_layer.push_back(std::move(stash));
  }
  return use;
}

int64_t DenseParameters::finish(Use& use) {
  std::unique_lock<std::mutex> lock = async_ ? std::unique_lock<std::mutex>(mutex_) : std::move(use.lock);
  std::vector<at::Tensor>& params = encoder_.parameters();
  if (async_) {  // the stash's gradients become the parameters' (layer by layer, in the flat order)
    size_t k = 0;
    for (const std::vector<at::Tensor>& layer : use.by_layer) {
      for (const at::Tensor& stashed : layer) params[k++].mutable_grad() = stashed.grad();
    }
  }
  max_staleness_ = std::max(max_staleness_, version_ - use.version);
  const int64_t bad = optimizer_.step(params);
  if (bad < 0) ++version_;
  use.by_layer.clear();
  return bad;
}

int64_t DenseParameters::take_max_staleness() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(max_staleness_, 0);
}

}  // namespace marius
