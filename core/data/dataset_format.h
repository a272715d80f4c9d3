// core/data/dataset_format.h - the byte layout of a dataset directory.
//
// docs/formats.md is the specification; this header is its single source in
// code, shared by the writer (dataset_writer.h) and the reader (dataset.h).
// Everything is little-endian (the build refuses big-endian hosts).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "core/data/dataset_info.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the dataset format is little-endian");

namespace marius {

// Readers refuse any other version (VERSION_MISMATCH); a change to any layout
// below bumps it.
inline constexpr uint32_t kDatasetFormatVersion = 1;

// File names inside the directory.
inline constexpr const char* kHeaderFile = "header.bin";        // written last
inline constexpr const char* kDegreesFile = "degrees.bin";
inline constexpr const char* kNodeNamesFile = "nodes.txt";
inline constexpr const char* kRelationNamesFile = "relations.txt";
const char* edge_file_name(Split split);  // "train.edges", "valid.edges", "test.edges"

// True when `dir` holds a header.bin that starts with the dataset magic (of
// any version): a directory preprocess may replace.
bool is_dataset_directory(const std::filesystem::path& dir);

// header.bin: 80 bytes.
inline constexpr size_t kHeaderBytes = 80;
struct DatasetHeader {
  DatasetInfo info;
  int64_t node_names_bytes = 0;      // size of nodes.txt
  int64_t relation_names_bytes = 0;  // size of relations.txt
};
std::array<char, kHeaderBytes> encode_header(const DatasetHeader& header);
// Checks magic, version and every count; throws Error naming `file`
// (INVALID_ARGUMENT, or VERSION_MISMATCH for another format version).
DatasetHeader decode_header(const std::filesystem::path& file, const std::array<char, kHeaderBytes>& bytes);

// The 24-byte header of an array file (an edge file or degrees.bin), followed
// by `count` records of `record_bytes` (edge files: 3 ids of id_bytes each).
inline constexpr size_t kArrayHeaderBytes = 24;
enum class ArrayKind { kEdges, kDegrees };
struct ArrayHeader {
  ArrayKind kind = ArrayKind::kEdges;
  uint32_t value_bytes = 0;  // id_bytes for edges, 8 for degrees
  int64_t count = 0;         // edges, or nodes
};
std::array<char, kArrayHeaderBytes> encode_array_header(const ArrayHeader& header);
// Throws Error naming `file` unless the bytes are a header of `kind` of this version.
ArrayHeader decode_array_header(const std::filesystem::path& file, ArrayKind kind,
                                const std::array<char, kArrayHeaderBytes>& bytes);
// Bytes per record: 3 * value_bytes for edges, value_bytes for degrees.
uint64_t record_bytes(const ArrayHeader& header);

}  // namespace marius
