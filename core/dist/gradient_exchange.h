// core/dist/gradient_exchange.h - data-parallel training's exchange of dense
// gradients between workers (docs/distributed.md, "Distributed GNN training").
//
// Each worker computes gradients on its shard of a step's examples; the
// exchange sums them over the workers (one all-reduce of all the parameters'
// gradients, flattened) and hands back the average. With staleness s = 0 a
// step applies its own average (synchronous: every worker's weights equal
// those of one process stepping on the whole batch). With s > 0 the sum of a
// step's gradients travels while the next s steps compute, and step t applies
// the average of step t - s (bounded-asynchronous, in Dorylus's spirit: the
// weights a step computes with are s updates old, the same on every worker).
// Every worker must exchange the same number of steps, in the same order.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/dist/cluster.h"

namespace marius {

class GradientExchange {
 public:
  GradientExchange(Cluster& cluster, int64_t staleness);

  // Starts the exchange of `params`' gradients (undefined: zero) of this
  // step. Returns true with `params`' gradients replaced by the average that
  // is due now, or false (gradients cleared) when none is due yet (the first
  // s steps after a drain).
  bool exchange(std::vector<at::Tensor>& params);
  // Applies the averages still travelling, oldest first: sets them as
  // `params`' gradients and calls `step` for each. At the end of an epoch, so
  // that every step's gradients are in the checkpoint.
  void drain(std::vector<at::Tensor>& params, const std::function<void()>& step);

  int64_t staleness() const { return staleness_; }
  int64_t steps() const { return steps_; }  // exchanged since construction

 private:
  struct InFlight {
    std::shared_ptr<Cluster::PendingSum> pending;
    at::Tensor flat;
  };
  void apply(InFlight& oldest, std::vector<at::Tensor>& params);

  Cluster& cluster_;
  const int64_t staleness_;
  int64_t steps_ = 0;
  std::deque<InFlight> in_flight_;
};

}  // namespace marius
