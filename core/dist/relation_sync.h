// core/dist/relation_sync.h - relation parameters shared by the workers of
// distributed link prediction through a parameter service in the rendezvous
// store (PyTorch-BigGraph shares them through its parameter server).
//
// The store holds the shared values. After each bucket a worker adds what it
// changed since its last sync (its values minus the shared values it last
// took) to the shared values and takes the sum, under a lock in the store:
// the relation parameters a worker trains with miss at most the updates the
// other workers made during its current bucket (the staleness bound,
// docs/distributed.md). The optimizer state (Adagrad's sums of squares) is
// shared the same way: its changes add up too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/dist/cluster.h"

namespace marius {

class RelationSync {
 public:
  // `params`: float32 contiguous CPU tensors that training changes in place.
  RelationSync(Cluster& cluster, std::vector<at::Tensor> params);

  // Every worker, once: rank 0's values become every worker's.
  void start();
  // Adds this worker's changes since the last sync to the shared values and
  // takes the result.
  void push_pull();
  // Takes the shared values (once every worker pushed, they are the same on
  // every worker).
  void pull();

  int64_t take_syncs();

 private:
  std::string local_bytes() const;
  void take(const std::string& bytes);  // into params_ and base_
  void lock();
  void unlock();

  Cluster& cluster_;
  std::vector<at::Tensor> params_;
  at::Tensor base_;  // float32 [total]: the shared values last taken
  int64_t total_ = 0;
  int64_t syncs_ = 0;
};

}  // namespace marius
