#include "core/run/tier_config.h"

#include <algorithm>

#include <ATen/Context.h>

#include "core/error.h"
#include "core/storage/row_bytes.h"

namespace marius {

int64_t largest_partition_bytes(const Config& config, const Dataset& dataset, int64_t row_bytes) {
  return dataset.largest_partition_rows() * (row_bytes > 0 ? row_bytes : static_cast<int64_t>(node_row_bytes(config.dim)));
}

int32_t resolve_capacity(const Config& config, const Dataset& dataset, int64_t row_bytes) {
  const std::vector<int64_t>& offsets = dataset.partition_offsets();
  const int64_t p = static_cast<int64_t>(offsets.size()) - 1;
  if (config.partitions > 0 && config.partitions != p) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "storage.partitions = {}, but the dataset {} has {} partition(s); preprocess it with --partitions {}",
         config.partitions, config.dataset, p, config.partitions);
  }
  const Partitioner partitioner = dataset.info().partitioner;
  if (config.partitioner != PartitionerChoice::kAny && p > 1 &&
      (config.partitioner == PartitionerChoice::kMetis) != (partitioner == Partitioner::kMetis)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "storage.partitioner = \"{}\", but the dataset {} was partitioned by {}; preprocess it with --partitioner {}",
         choice_name(config.partitioner), config.dataset, partitioner_name(partitioner), choice_name(config.partitioner));
  }
  if (p <= 1) return 0;
  int64_t capacity = config.buffer_capacity;
  if (config.buffer_bytes > 0) {
    const int64_t partition_bytes = largest_partition_bytes(config, dataset, row_bytes);
    const int64_t slots = config.buffer_bytes / std::max<int64_t>(1, partition_bytes);
    capacity = slots - (config.prefetch ? 1 : 0);
    if (capacity < 2 && capacity < p) {
      fail(MARIUS_ERR_INVALID_ARGUMENT,
           "storage.buffer_bytes = {} holds {} partition(s) of {} bytes{}; out-of-core training needs room for 2",
           config.buffer_bytes, slots, partition_bytes, config.prefetch ? " (one of them the prefetch slot)" : "");
    }
  }
  if (capacity == 0 || capacity >= p) return 0;
  if (capacity < 2) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "storage.buffer_capacity = 1: a buffer of one partition cannot hold a bucket between two partitions; use 2 "
         "or more (or 0 to train in memory)");
  }
  return static_cast<int32_t>(capacity);
}

c10::Device training_device(const Config& config) {
  c10::Device device(config.device);  // the syntax was checked with the config
  if (device.is_cuda()) {
    if (!at::hasCUDA()) {
      fail(MARIUS_ERR_UNSUPPORTED,
           "training.device = \"{}\": this marius is built against a LibTorch without CUDA (build with a CUDA "
           "LibTorch, see docs/gpu.md, or use training.device = \"cpu\")",
           config.device);
    }
    const int64_t gpus = static_cast<int64_t>(at::getNumGPUs());
    if (device.index() >= gpus) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "training.device = \"{}\": this machine has {} CUDA device(s)", config.device,
           gpus);
    }
  }
  return device;
}

int32_t resolve_device_capacity(const Config& config, const Dataset& dataset, int32_t below) {
  int64_t d = config.device_capacity;
  if (config.device_bytes > 0) {
    const int64_t partition_bytes = largest_partition_bytes(config, dataset);
    const int64_t slots = config.device_bytes / std::max<int64_t>(1, partition_bytes);
    // Everything below fits: no prefetch slot is needed; otherwise the budget includes it.
    d = slots >= below ? below : slots - (config.prefetch ? 1 : 0);
    if (d < 1 || (d < 2 && d < below)) {
      fail(MARIUS_ERR_INVALID_ARGUMENT,
           "storage.device_bytes = {} holds {} partition(s) of {} bytes{}; the device tier needs room for 2",
           config.device_bytes, slots, partition_bytes, config.prefetch ? " (one of them the prefetch slot)" : "");
    }
  }
  if (d == 0) return c10::Device(config.device).is_cpu() ? 0 : below;
  if (d < 2 && d < below) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "storage.device_capacity = 1: a device tier of one partition cannot hold a bucket between two partitions; "
         "use 2 or more");
  }
  return static_cast<int32_t>(std::min<int64_t>(d, below));
}

}  // namespace marius
