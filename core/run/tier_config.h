// core/run/tier_config.h - the storage tiers a configuration asks for,
// resolved against a dataset: the host buffer's capacity c, the training
// device, the device tier's capacity d (docs/out-of-core.md).
#pragma once

#include <cstdint>

#include <c10/core/Device.h>

#include "core/config/config.h"
#include "core/data/dataset.h"

namespace marius {

// Bytes of the largest partition's rows: one slot of a buffer. A row is
// `row_bytes`, or (0) an embedding and its Adagrad state of model.dim.
int64_t largest_partition_bytes(const Config& config, const Dataset& dataset, int64_t row_bytes = 0);

// The buffer capacity out of core, or 0 when every partition fits in memory;
// storage.buffer_bytes counts rows of `row_bytes` (as largest_partition_bytes).
// Throws Error(INVALID_ARGUMENT) naming storage.partitions, buffer_capacity or
// buffer_bytes when they do not fit the dataset.
int32_t resolve_capacity(const Config& config, const Dataset& dataset, int64_t row_bytes = 0);

// Where batches compute: training.device, checked against this LibTorch and machine.
c10::Device training_device(const Config& config);

// The device tier's capacity d, or 0 for none. `below`: partitions of the tier
// below (the host buffer's c out of core, all p in memory).
int32_t resolve_device_capacity(const Config& config, const Dataset& dataset, int32_t below);

}  // namespace marius
