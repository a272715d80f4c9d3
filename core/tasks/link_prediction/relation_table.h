// core/tasks/link_prediction/relation_table.h - the relation parameters as the
// compute workers share them.
//
// Every read of relation rows and every optimizer update of them happens under
// one lock, so a worker never reads a row another worker is half-way through
// updating (docs/pipeline.md, "Relations"). Relations are few and a batch reads
// a few hundred rows: the lock is held for a gather or one sparse update.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

#include <ATen/core/Tensor.h>

#include "core/config/config.h"
#include "core/model/model.h"

namespace marius {

class RelationTable {
 public:
  // `model`'s relation tensors are looked up at each call (the scheduler may
  // move them to the training device for an epoch). `host_kernels`: the fused
  // host Adagrad kernel (false: the device path's ATen operations).
  RelationTable(Model& model, const Config& config, bool host_kernels);

  // Rows `ids` (int64 [n]) of the relation parameters, float32 [n, W], a copy.
  at::Tensor gather(const at::Tensor& ids) const;

  // Applies optimizer.relation_optimizer to rows `ids` with gradients `grads`
  // [n, W] (repeated rows are summed). Returns false when an updated parameter
  // or its optimizer state is not finite.
  bool apply(const at::Tensor& ids, const at::Tensor& grads);

  void use_host_kernels(bool on) { host_kernels_ = on; }

  // Distributed link prediction: `sync` (RelationSync::push_pull, which
  // rewrites the relation tensors in place) runs under the lock after every
  // `every`-th apply, so no read sees a half-synchronised table. An error it
  // throws leaves apply() like any other.
  void share(std::function<void()> sync, int64_t every);

 private:
  Model& model_;
  const Config& config_;
  bool host_kernels_;
  std::function<void()> sync_;
  int64_t sync_every_ = 0;
  int64_t applied_ = 0;  // applies since the last sync
  mutable std::mutex mutex_;
};

}  // namespace marius
