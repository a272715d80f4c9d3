// core/run/tier_config.h - the storage tiers a configuration asks for,
// resolved against a dataset: the host buffer's capacity c, the training
// device, the device tier's capacity d (docs/out-of-core.md).
#pragma once

#include <cstdint>

#include <c10/core/Device.h>

#include "core/config/config.h"
#include "core/data/dataset.h"

namespace marius {

// Bytes of the largest partition's embeddings and Adagrad state: one slot of a buffer.
int64_t largest_partition_bytes(const Config& config, const Dataset& dataset);

// The buffer capacity out of core, or 0 when every partition fits in memory.
// Throws Error(INVALID_ARGUMENT) naming storage.partitions, buffer_capacity or
// buffer_bytes when they do not fit the dataset.
int32_t resolve_capacity(const Config& config, const Dataset& dataset);

// Where batches compute: training.device, checked against this LibTorch and machine.
c10::Device training_device(const Config& config);

// The device tier's capacity d, or 0 for none. `below`: partitions of the tier
// below (the host buffer's c out of core, all p in memory).
int32_t resolve_device_capacity(const Config& config, const Dataset& dataset, int32_t below);

}  // namespace marius
