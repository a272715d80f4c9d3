// core/dist/gradient_exchange.h - data-parallel training's exchange of dense
// gradients between workers (docs/distributed.md, "Distributed GNN training").
//
// Each worker computes gradients on its shard of a step's examples; the
// exchange sums them over the workers (one all-reduce of all the parameters'
// gradients, flattened). With staleness s = 0 a step applies the average of
// its own sum (synchronous: every worker's weights equal those of one process
// stepping on the whole batch). With s > 0 the sum of a step's gradients
// travels while the next s steps compute (bounded-asynchronous, in Dorylus's
// spirit): step t applies this worker's own gradient of step t and the other
// workers' gradients of step t - s, divided by the number of workers. A
// worker's weights thus hold all of its own updates and miss at most the
// other workers' last s; they differ between workers by at most that much, and
// drain() (the end of an epoch) applies what is still travelling and then
// makes every worker's weights and optimizer state their average, so
// checkpoints are equal. Every worker must exchange the same number of steps,
// in the same order.
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
  // step and replaces them by the gradient due now (see above).
  void exchange(std::vector<at::Tensor>& params);
  // Applies the other workers' gradients still travelling, summed: sets them
  // as `params`' gradients and calls `step` once. Then, with s > 0,
  // replaces `params` and every tensor of `state` (the optimizer's, the same
  // shapes on every worker; undefined ones are left) by their average over the
  // workers. At the end of an epoch, so that every step's gradients are in
  // the checkpoint and the checkpoints are equal.
  void drain(std::vector<at::Tensor>& params, const std::vector<at::Tensor*>& state,
             const std::function<void()>& step);

  int64_t staleness() const { return staleness_; }
  int64_t steps() const { return steps_; }  // exchanged since construction

 private:
  struct InFlight {
    std::shared_ptr<Cluster::PendingSum> pending;
    at::Tensor flat;  // summed over the workers in place
    at::Tensor own;   // this worker's part of the sum
  };
  // Sets `flat` / world size as `params`' gradients.
  void set_gradients(const at::Tensor& flat, std::vector<at::Tensor>& params);
  // Replaces each tensor by its average over the workers.
  void average(const std::vector<at::Tensor*>& tensors);

  Cluster& cluster_;
  const int64_t staleness_;
  int64_t steps_ = 0;
  std::deque<InFlight> in_flight_;
};

}  // namespace marius
