// core/dist/relation_sync.cpp - see relation_sync.h.
#include "core/dist/relation_sync.h"

#include <chrono>
#include <cstring>
#include <thread>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.h"

namespace marius {

namespace {

constexpr const char* kValues = "marius/lp/relations";
constexpr const char* kLock = "marius/lp/relations/lock";

}  // namespace

RelationSync::RelationSync(Cluster& cluster, std::vector<at::Tensor> params)
    : cluster_(cluster), params_(std::move(params)) {
  for (const at::Tensor& t : params_) {
    if (t.scalar_type() != at::kFloat || !t.is_contiguous() || !t.is_cpu()) {
      fail(MARIUS_ERR_INTERNAL, "relation sync: parameters must be contiguous float32 CPU tensors");
    }
    total_ += t.numel();
  }
  base_ = at::zeros({total_}, at::kFloat);
}

std::string RelationSync::local_bytes() const {
  std::string bytes(static_cast<size_t>(total_) * sizeof(float), '\0');
  size_t at = 0;
  for (const at::Tensor& t : params_) {
    const size_t n = static_cast<size_t>(t.numel()) * sizeof(float);
    std::memcpy(bytes.data() + at, t.data_ptr<float>(), n);
    at += n;
  }
  return bytes;
}

void RelationSync::take(const std::string& bytes) {
  if (bytes.size() != static_cast<size_t>(total_) * sizeof(float)) {
    fail(MARIUS_ERR_INTERNAL, "relation sync: the store holds {} bytes of relations, this worker has {}", bytes.size(),
         total_ * sizeof(float));
  }
  std::memcpy(base_.data_ptr<float>(), bytes.data(), bytes.size());
  size_t at = 0;
  for (at::Tensor& t : params_) {
    const size_t n = static_cast<size_t>(t.numel()) * sizeof(float);
    std::memcpy(t.data_ptr<float>(), bytes.data() + at, n);
    at += n;
  }
}

void RelationSync::start() {
  if (cluster_.rank() == 0) cluster_.store_set(kValues, local_bytes());
  take(cluster_.store_get(kValues));
}

void RelationSync::lock() {
  const std::string me = fmt::format("rank {}", cluster_.rank());
  const auto deadline = std::chrono::steady_clock::now() + cluster_.timeout();
  for (int64_t sleep_us = 50;; sleep_us = std::min<int64_t>(sleep_us * 2, 5000)) {
    const std::string holder = cluster_.store_compare_set(kLock, "", me);
    if (holder == me) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      fail(MARIUS_ERR_IO, "distributed ({}): waited {:g} s (distributed.timeout) for the relation parameters, which {} "
           "holds: has it stopped?", cluster_.world().describe(),
           std::chrono::duration<double>(cluster_.timeout()).count(), holder);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
}

void RelationSync::unlock() { cluster_.store_set(kLock, ""); }

void RelationSync::push_pull() {
  lock();
  struct Unlock {  // also when a store call throws: the others then see the store's error, not a held lock
    RelationSync* sync;
    ~Unlock() {
      try {
        sync->unlock();
      } catch (...) {
      }
    }
  };
  std::string shared;
  {
    Unlock unlock_at_end{this};
    shared = cluster_.store_get(kValues);
    if (shared.size() != static_cast<size_t>(total_) * sizeof(float)) take(shared);  // names the mismatch
    // shared += local - base, in place in the bytes.
    at::Tensor sum = at::from_blob(shared.data(), {total_}, at::kFloat);
    std::vector<at::Tensor> flat;
    for (const at::Tensor& t : params_) flat.push_back(t.view(-1));
    if (!flat.empty()) sum.add_(at::cat(flat)).sub_(base_);
    cluster_.store_set(kValues, shared);
  }
  take(shared);
  ++syncs_;
}

void RelationSync::pull() { take(cluster_.store_get(kValues)); }

int64_t RelationSync::take_syncs() {
  const int64_t n = syncs_;
  syncs_ = 0;
  return n;
}

}  // namespace marius
