// core/run/memory_budget.h - what a training run will allocate in host memory,
// checked against what this process may use before anything is allocated.
//
// The estimate counts the large allocations: node tables and their Adagrad
// state (in memory), the partition buffer's slab (out of core), a device tier
// kept in host memory, relations and their optimizer state, the training and
// evaluation edges, and per-batch temporaries (gathered rows, gradients, score
// matrices) times the batches in flight. It is an estimate (within tens of
// percent for the large parts), meant to refuse a configuration that cannot
// fit before it is OOM-killed, not to account every byte.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/data/dataset_info.h"

namespace marius {

// How the run stores its node rows (resolved tiers, see tier_config.h).
struct MemoryLayout {
  int64_t largest_partition_rows = 0;  // rows of the largest partition (all nodes when unpartitioned)
  int32_t buffer_capacity = 0;         // c out of core; 0: node tables in memory
  int32_t device_capacity = 0;         // d; 0: no device tier
  bool device_on_host = true;          // the device tier's slab is host memory (training.device = "cpu")
  int64_t relation_width = 0;          // W of the score plugin for model.dim
  int64_t feature_width = 0;           // F of the node features an encoder reads; 0: none
};

struct MemoryEstimate {
  struct Part {
    std::string what;  // "node embeddings and Adagrad state"
    std::string keys;  // the keys that size it: "model.dim, storage.buffer_capacity"
    uint64_t bytes = 0;
  };
  std::vector<Part> parts;
  uint64_t total() const;
};

MemoryEstimate estimate_training_memory(const Config& config, const DatasetInfo& info, const MemoryLayout& layout);

// Bytes this process may still allocate: the smallest of MemAvailable, the
// cgroup's limit less its usage (cgroup v2 or v1) and RLIMIT_AS less the
// process's current address space; `source` names the limit that bound it.
uint64_t available_memory(std::string* source = nullptr);

// Throws Error(OUT_OF_MEMORY) when `estimate` exceeds `available`, naming the
// largest parts with the keys that size them.
void require_memory(const MemoryEstimate& estimate, uint64_t available, const std::string& source);

}  // namespace marius
