// core/persist/checkpoint.h - saving and loading a model (docs/formats.md).
//
// A checkpoint is one file: magic, version, the number of completed epochs, the
// configuration it was trained with (TOML text), the fingerprint of the dataset
// it was trained on, the parameter and optimizer tensors, and a CRC-32 of
// everything before it. It is written to
// "<file>.tmp", flushed, fsynced and renamed over <file>, so a crash (even
// SIGKILL) at any moment leaves either the previous checkpoint or the new one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/data/dataset_fingerprint.h"
#include "core/model/model.h"

namespace marius {

struct CheckpointInfo {
  int64_t epochs_done = 0;
  std::string config_toml;
  // Out-of-core models: the node tables live in partition files (see
  // core/storage/partition_store.h); the checkpoint names the committed
  // generation and the CRC-32 of each partition, and holds no embeddings.
  int32_t partition_generation = -1;  // -1: the embeddings are in the checkpoint
  std::vector<uint32_t> partition_crcs;
  // The dataset the model was trained on; absent in version 1 checkpoints (and
  // when the writer gave none).
  std::optional<DatasetFingerprint> dataset;
};

// Throws Error naming the file (NO_SPACE when the disk is full, IO otherwise);
// the previous checkpoint is intact then.
void save_checkpoint(const std::filesystem::path& file, const Model& model, const CheckpointInfo& info);

// Throws Error(NOT_FOUND) for a missing file and INVALID_ARGUMENT naming the
// file for a wrong magic, version, truncation or checksum mismatch. Reads
// versions 1 (no dataset fingerprint) and 2.
Model load_checkpoint(const std::filesystem::path& file, CheckpointInfo* info);

// Throws Error(INVALID_ARGUMENT) naming `checkpoint` and both datasets (directory,
// counts, dictionary hash) unless `dataset` has the fingerprint `info` recorded:
// a model evaluated, resumed, exported or queried against another dataset of the
// same shape would give wrong metrics or put its rows under the wrong ids. A
// checkpoint without a fingerprint (version 1) is accepted with a warning in the log.
void require_same_dataset(const CheckpointInfo& info, const Dataset& dataset, const std::filesystem::path& checkpoint);

}  // namespace marius
