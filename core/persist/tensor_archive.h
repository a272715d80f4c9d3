// core/persist/tensor_archive.h - named tensors plus a text header in one
// file, written crash-safe (FILE.tmp, fsync, rename) and read with every size
// checked before anything is allocated. Used for GNN checkpoints.
//
// Layout (little-endian): "MARIUSTA", u32 version 1, u64 text bytes, text,
// u32 count, then per tensor: u32 name bytes, name, u8 dtype (0 float32,
// 1 int64), u8 ndim (0..8), i64 sizes[ndim], data; last a u32 CRC-32 of
// everything before it.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace marius {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// Throws Error(IO / NO_SPACE) naming the file; nothing replaces `file` unless
// everything was written.
void save_tensor_archive(const std::filesystem::path& file, const std::string& text, const NamedTensors& tensors);

// Throws Error(NOT_FOUND, INVALID_ARGUMENT for a corrupt or truncated file).
NamedTensors load_tensor_archive(const std::filesystem::path& file, std::string* text);

}  // namespace marius
