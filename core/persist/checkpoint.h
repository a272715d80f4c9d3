// core/persist/checkpoint.h - saving and loading a model (docs/formats.md).
//
// A checkpoint is one file: magic, version, the number of completed epochs, the
// configuration it was trained with (TOML text), the parameter and optimizer
// tensors, and a CRC-32 of everything before it. It is written to
// "<file>.tmp", flushed, fsynced and renamed over <file>, so a crash (even
// SIGKILL) at any moment leaves either the previous checkpoint or the new one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

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
};

// Throws Error naming the file (NO_SPACE when the disk is full, IO otherwise);
// the previous checkpoint is intact then.
void save_checkpoint(const std::filesystem::path& file, const Model& model, const CheckpointInfo& info);

// Throws Error(NOT_FOUND) for a missing file and INVALID_ARGUMENT naming the
// file for a wrong magic, version, truncation or checksum mismatch.
Model load_checkpoint(const std::filesystem::path& file, CheckpointInfo* info);

}  // namespace marius
