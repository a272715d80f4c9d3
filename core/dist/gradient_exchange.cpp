// core/dist/gradient_exchange.cpp - see gradient_exchange.h.
#include "core/dist/gradient_exchange.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace marius {

GradientExchange::GradientExchange(Cluster& cluster, int64_t staleness) : cluster_(cluster), staleness_(staleness) {
  if (staleness < 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "distributed.staleness = {}: expected 0 or more", staleness);
}

bool GradientExchange::exchange(std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> pieces;
  pieces.reserve(params.size());
  for (at::Tensor& p : params) {
    const at::Tensor& g = p.grad();
    pieces.push_back(g.defined() ? g.reshape({-1}).to(at::kFloat) : at::zeros({p.numel()}, at::kFloat));
  }
  InFlight step;
  step.flat = at::cat(pieces).contiguous();
  step.pending = cluster_.start_all_reduce_sum(step.flat);
  in_flight_.push_back(std::move(step));
  ++steps_;
  if (static_cast<int64_t>(in_flight_.size()) <= staleness_) {
    for (at::Tensor& p : params) p.mutable_grad() = at::Tensor();
    return false;
  }
  apply(in_flight_.front(), params);
  in_flight_.pop_front();
  return true;
}

void GradientExchange::drain(std::vector<at::Tensor>& params, const std::function<void()>& step) {
  while (!in_flight_.empty()) {
    apply(in_flight_.front(), params);
    in_flight_.pop_front();
    step();
  }
}

void GradientExchange::apply(InFlight& oldest, std::vector<at::Tensor>& params) {
  cluster_.wait(*oldest.pending);
  oldest.flat.div_(static_cast<double>(cluster_.world_size()));
  int64_t offset = 0;
  for (at::Tensor& p : params) {
    p.mutable_grad() = oldest.flat.narrow(0, offset, p.numel()).view(p.sizes()).to(p.scalar_type()).clone();
    offset += p.numel();
  }
}

}  // namespace marius
