// core/dist/gradient_exchange.cpp - see gradient_exchange.h.
#include "core/dist/gradient_exchange.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace marius {

GradientExchange::GradientExchange(Cluster& cluster, int64_t staleness) : cluster_(cluster), staleness_(staleness) {
  if (staleness < 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "distributed.staleness = {}: expected 0 or more", staleness);
}

void GradientExchange::exchange(std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> pieces;
  pieces.reserve(params.size());
  for (at::Tensor& p : params) {
    const at::Tensor& g = p.grad();
    pieces.push_back(g.defined() ? g.reshape({-1}).to(at::kFloat) : at::zeros({p.numel()}, at::kFloat));
  }
  InFlight step;
  step.own = at::cat(pieces).contiguous();
  step.flat = staleness_ == 0 ? step.own : step.own.clone();  // s = 0 needs only the sum
  step.pending = cluster_.start_all_reduce_sum(step.flat);
  in_flight_.push_back(step);
  ++steps_;
  at::Tensor due = step.own;  // this worker's gradient of this step ...
  if (static_cast<int64_t>(in_flight_.size()) > staleness_) {  // ... and the others' of s steps before
    InFlight& oldest = in_flight_.front();
    cluster_.wait(*oldest.pending);
    // s = 0: the oldest is this step, and the sum is the gradient (exactly, not own + sum - own).
    due = staleness_ == 0 ? oldest.flat : due + oldest.flat - oldest.own;
    in_flight_.pop_front();
  }
  set_gradients(due, params);
}

void GradientExchange::drain(std::vector<at::Tensor>& params, const std::vector<at::Tensor*>& state,
                             const std::function<void()>& step) {
  if (!in_flight_.empty()) {  // the other workers' gradients still travelling, in one step
    at::Tensor late;
    while (!in_flight_.empty()) {
      InFlight& oldest = in_flight_.front();
      cluster_.wait(*oldest.pending);
      const at::Tensor others = oldest.flat - oldest.own;
      late = late.defined() ? late + others : others;
      in_flight_.pop_front();
    }
    set_gradients(late, params);
    step();
  }
  if (staleness_ == 0) return;
  at::NoGradGuard no_grad;
  std::vector<at::Tensor*> tensors;
  for (at::Tensor& p : params) tensors.push_back(&p);
  for (at::Tensor* t : state) {
    if (t->defined()) tensors.push_back(t);
  }
  average(tensors);
}

void GradientExchange::set_gradients(const at::Tensor& flat, std::vector<at::Tensor>& params) {
  const double n = static_cast<double>(cluster_.world_size());
  int64_t offset = 0;
  for (at::Tensor& p : params) {
    p.mutable_grad() = flat.narrow(0, offset, p.numel()).view(p.sizes()).div(n).to(p.scalar_type());
    offset += p.numel();
  }
}

void GradientExchange::average(const std::vector<at::Tensor*>& tensors) {
  std::vector<at::Tensor> pieces;
  for (at::Tensor* t : tensors) pieces.push_back(t->detach().reshape({-1}).to(at::kFloat));
  if (pieces.empty()) return;
  at::Tensor flat = at::cat(pieces).contiguous();
  cluster_.all_reduce_sum(flat);
  flat.div_(static_cast<double>(cluster_.world_size()));
  int64_t offset = 0;
  for (at::Tensor* t : tensors) {
    t->detach().copy_(flat.narrow(0, offset, t->numel()).view(t->sizes()));
    offset += t->numel();
  }
}

}  // namespace marius
