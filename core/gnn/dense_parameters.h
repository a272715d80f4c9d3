// core/gnn/dense_parameters.h - how compute workers share the encoder's
// parameters: one batch at a time (sync), or bounded-stale (async, MariusGNN's
// asynchronous pipeline, Dorylus's weight stashing).
//
// sync:  begin() takes a lock that finish() releases: each batch's forward,
//        backward and optimizer step see every earlier batch's update.
// async: begin() copies the parameters under the lock (the batch's stash,
//        tagged with the version it was taken at, and a ticket in begin order)
//        and releases it; forward and backward run on the stash concurrently
//        with other batches; finish() waits for the batches that began earlier
//        to finish, then moves the stash's gradients onto the parameters and
//        steps the optimizer under the lock. Updates are applied in begin
//        order, so the updates a batch's weights miss are those of batches
//        that had begun and not finished when it began: with at most k
//        batches in flight (pipeline.staleness) a batch's weights are at most
//        k - 1 updates old. The staleness each update saw is recorded
//        (take_max_staleness()).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/dist/gradient_exchange.h"
#include "core/gnn/dense_optimizer.h"
#include "core/gnn/encoder.h"

namespace marius {

class DenseParameters {
 public:
  DenseParameters(GnnEncoder& encoder, DenseOptimizer& optimizer, bool async);

  // The parameters one batch computes with. Destroyed without finish() (the
  // batch failed), it gives up its turn so later batches do not wait for it.
  class Use {
   public:
    Use() = default;
    Use(Use&& other) noexcept;
    Use& operator=(Use&&) = delete;
    Use(const Use&) = delete;
    ~Use();

    std::vector<std::vector<at::Tensor>> by_layer;  // requires grad; the encoder's own (sync) or a stash (async)
    int64_t version = 0;                            // updates applied when they were taken

   private:
    friend class DenseParameters;
    DenseParameters* owner_ = nullptr;   // async: set until finish
    int64_t ticket_ = -1;                // async: the place in begin order
    std::unique_lock<std::mutex> lock_;  // sync: held until finish
  };
  Use begin();
  // Steps the optimizer with `use`'s gradients. Returns the index of a
  // parameter whose gradient is not finite (nothing updated), or -1.
  int64_t finish(Use& use);

  bool async() const { return async_; }
  // Distributed data parallelism: finish() exchanges the gradients with the
  // other workers first and steps on the average that is due (none: no step).
  // Null: this process alone. Not with async (the exchange is the staleness).
  void set_exchange(GradientExchange* exchange) { exchange_ = exchange; }
  // Steps on the averages the exchange still holds (the end of an epoch).
  // Returns the index of a parameter whose gradient is not finite, or -1.
  int64_t drain_exchange();
  // The largest number of updates between a batch's begin and its finish
  // since the last call; resets it.
  int64_t take_max_staleness();

 private:
  void give_up(int64_t ticket) noexcept;
  void wait_for_turn(std::unique_lock<std::mutex>& lock, int64_t ticket);
  void end_turn(int64_t ticket);  // REQUIRES: mutex_ held

  GnnEncoder& encoder_;
  DenseOptimizer& optimizer_;
  const bool async_;
  GradientExchange* exchange_ = nullptr;
  std::mutex mutex_;
  std::condition_variable turn_;
  int64_t version_ = 0;
  int64_t max_staleness_ = 0;
  int64_t next_ticket_ = 0;
  int64_t next_turn_ = 0;           // the ticket whose update comes next
  std::vector<int64_t> given_up_;  // tickets of batches that failed, to skip
};

}  // namespace marius
