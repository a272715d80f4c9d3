#include "core/gnn/dense_parameters.h"

#include <algorithm>
#include <utility>

#include <ATen/ATen.h>

namespace marius {

DenseParameters::Use::Use(Use&& other) noexcept
    : by_layer(std::move(other.by_layer)),
      version(other.version),
      owner_(std::exchange(other.owner_, nullptr)),
      ticket_(other.ticket_),
      lock_(std::move(other.lock_)) {}

DenseParameters::Use::~Use() {
  if (owner_ != nullptr) owner_->give_up(ticket_);
}

DenseParameters::DenseParameters(GnnEncoder& encoder, DenseOptimizer& optimizer, bool async)
    : encoder_(encoder), optimizer_(optimizer), async_(async) {}

DenseParameters::Use DenseParameters::begin() {
  Use use;
  std::unique_lock<std::mutex> lock(mutex_);
  use.version = version_;
  if (!async_) {
    use.by_layer = encoder_.layer_parameters();
    use.lock_ = std::move(lock);
    return use;
  }
  use.owner_ = this;
  use.ticket_ = next_ticket_++;
  at::NoGradGuard no_grad;
  for (const std::vector<at::Tensor>& layer : encoder_.layer_parameters()) {
    std::vector<at::Tensor> stash;
    for (const at::Tensor& p : layer) stash.push_back(p.detach().clone().requires_grad_(true));
    use.by_layer.push_back(std::move(stash));
  }
  return use;
}

void DenseParameters::wait_for_turn(std::unique_lock<std::mutex>& lock, int64_t ticket) {
  turn_.wait(lock, [&] { return next_turn_ == ticket; });
}

void DenseParameters::end_turn(int64_t ticket) {
  next_turn_ = ticket + 1;
  // Skip the turns of batches that gave up meanwhile.
  for (auto it = std::find(given_up_.begin(), given_up_.end(), next_turn_); it != given_up_.end();
       it = std::find(given_up_.begin(), given_up_.end(), next_turn_)) {
    given_up_.erase(it);
    ++next_turn_;
  }
  turn_.notify_all();
}

void DenseParameters::give_up(int64_t ticket) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  if (next_turn_ == ticket) {
    end_turn(ticket);
  } else {
    given_up_.push_back(ticket);
  }
}

int64_t DenseParameters::finish(Use& use) {
  std::unique_lock<std::mutex> lock = async_ ? std::unique_lock<std::mutex>(mutex_) : std::move(use.lock_);
  if (async_) wait_for_turn(lock, use.ticket_);
  std::vector<at::Tensor>& params = encoder_.parameters();
  if (async_) {  // the stash's gradients become the parameters' (layer by layer, in the flat order)
    size_t k = 0;
    for (const std::vector<at::Tensor>& layer : use.by_layer) {
      for (const at::Tensor& stashed : layer) params[k++].mutable_grad() = stashed.grad();
    }
  }
  max_staleness_ = std::max(max_staleness_, version_ - use.version);
  // Distributed: the gradient the exchange has due (gradient_exchange.h).
  if (exchange_ != nullptr) exchange_->exchange(params);
  const int64_t bad = optimizer_.step(params);
  if (bad < 0) ++version_;
  use.by_layer.clear();
  if (async_) {
    use.owner_ = nullptr;
    end_turn(use.ticket_);
  }
  return bad;
}

int64_t DenseParameters::drain_exchange() {
  if (exchange_ == nullptr) return -1;
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<at::Tensor>& params = encoder_.parameters();
  int64_t bad = -1;
  std::vector<at::Tensor*> state;  // averaged with the weights after a bounded-asynchronous epoch
  for (at::Tensor& m : optimizer_.first_moments()) state.push_back(&m);
  for (at::Tensor& v : optimizer_.second_moments()) state.push_back(&v);
  exchange_->drain(params, state, [&] {
    if (bad >= 0) return;
    bad = optimizer_.step(params);
    if (bad < 0) ++version_;
  });
  return bad;
}

int64_t DenseParameters::take_max_staleness() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(max_staleness_, 0);
}

}  // namespace marius
