// core/gnn/dense_parameters.h - how compute workers share the encoder's
// parameters: one batch at a time (sync), or bounded-stale (async, MariusGNN's
// asynchronous pipeline, Dorylus's weight stashing).
//
// sync:  begin() takes a lock that finish() releases: each batch's forward,
//        backward and optimizer step see every earlier batch's update.
// async: begin() copies the parameters under the lock (the batch's stash,
//        tagged with the version it was taken at) and releases it; forward and
//        backward run on the stash concurrently with other batches; finish()
//        moves the stash's gradients onto the parameters and steps the
//        optimizer under the lock. A batch's weights are then at most
//        (batches in flight - 1) updates old: pipeline.staleness bounds it.
//        The staleness each update saw is recorded (max_staleness()).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/gnn/dense_optimizer.h"
#include "core/gnn/encoder.h"

namespace marius {

class DenseParameters {
 public:
  DenseParameters(GnnEncoder& encoder, DenseOptimizer& optimizer, bool async);

  // The parameters one batch computes with.
  struct Use {
    std::vector<std::vector<at::Tensor>> by_layer;  // requires grad; the encoder's own (sync) or a stash (async)
    int64_t version = 0;                            // updates applied when they were taken
    std::unique_lock<std::mutex> lock;              // sync: held until finish
  };
  Use begin();
  // Steps the optimizer with `use`'s gradients. Returns the index of a
  // parameter whose gradient is not finite (nothing updated), or -1.
  int64_t finish(Use& use);

  bool async() const { return async_; }
  // The largest number of updates between a batch's begin and its finish
  // since the last call; resets it.
  int64_t take_max_staleness();

 private:
  GnnEncoder& encoder_;
  DenseOptimizer& optimizer_;
  const bool async_;
  std::mutex mutex_;
  int64_t version_ = 0;
  int64_t max_staleness_ = 0;
};

}  // namespace marius
