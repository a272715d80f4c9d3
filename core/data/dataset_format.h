// core/data/dataset_format.h - the byte layout of a dataset directory.
//
// docs/formats.md is the specification; this header is its single source in
// code, shared by the writer (dataset_writer.h) and the reader (dataset.h).
// Everything is little-endian (the build refuses big-endian hosts).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/data/dataset_info.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the dataset format is little-endian");

namespace marius {

// Readers refuse any other version (VERSION_MISMATCH); a change to any layout
// below bumps it. Version 2 added partitions: num_partitions in header.bin and
// train.buckets.
inline constexpr uint32_t kDatasetFormatVersion = 2;

// File names inside the directory.
inline constexpr const char* kHeaderFile = "header.bin";        // written last
inline constexpr const char* kDegreesFile = "degrees.bin";
inline constexpr const char* kNodeNamesFile = "nodes.txt";
inline constexpr const char* kRelationNamesFile = "relations.txt";
inline constexpr const char* kBucketsFile = "train.buckets";
const char* edge_file_name(Split split);  // "train.edges", "valid.edges", "test.edges"

// Every file a dataset directory holds (kHeaderFile ... kRelationNamesFile and
// the three edge files), and nothing else.
const std::vector<std::string>& dataset_file_names();
// dataset_file_names(), the optional node data files (node_data.h) and the
// adjacency index (adjacency_index.h): what preprocess may replace.
const std::vector<std::string>& replaceable_dataset_file_names();

// Why preprocess (or generate --kind powerlaw) may not replace the existing,
// non-empty directory `dir`, or "" when it may: `dir` must hold a header.bin
// that starts with the dataset magic (of any version) and nothing but
// replaceable_dataset_file_names(), so replacing it deletes only what a previous run wrote
// (not a checkpoint, metrics or anything else kept there). A StagingDir::Refusal.
std::string dataset_replace_refusal(const std::filesystem::path& dir);

// header.bin: 80 bytes. decode_header checks num_partitions against
// partitioning.h's bounds (1 <= p <= min(num_nodes, kMaxPartitions)).
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

// Writes one edge record (head, relation, tail as 4- or 8-byte ids) at `out`,
// which must have room for 3 * id_bytes bytes.
inline void encode_edge(char* out, int32_t id_bytes, int64_t head, int64_t relation, int64_t tail) {
  if (id_bytes == 4) {
    const int32_t ids[3] = {static_cast<int32_t>(head), static_cast<int32_t>(relation), static_cast<int32_t>(tail)};
    std::memcpy(out, ids, sizeof ids);
  } else {
    const int64_t ids[3] = {head, relation, tail};
    std::memcpy(out, ids, sizeof ids);
  }
}

// train.buckets: a 16-byte header (magic, version, p), the p + 1 partition node
// offsets and the p * p + 1 bucket edge offsets into train.edges, all i64.
inline constexpr size_t kBucketsHeaderBytes = 16;
struct BucketIndex {
  std::vector<int64_t> partition_offsets;  // p + 1: partition k is nodes [o[k], o[k+1])
  std::vector<int64_t> bucket_offsets;     // p * p + 1: bucket b is train edges [o[b], o[b+1])
};
// The exact size of train.buckets for p partitions.
uint64_t buckets_file_bytes(int64_t partitions);
std::vector<char> encode_buckets(const BucketIndex& index);
// Checks the bytes of `file` against header.bin's `info`: size, magic, version,
// p, partition offsets equal to the rule of partitioning.h, bucket offsets
// starting at 0, never decreasing and ending at the number of training edges.
// Throws Error(INVALID_ARGUMENT, or VERSION_MISMATCH) naming `file`.
BucketIndex decode_buckets(const std::filesystem::path& file, const std::vector<char>& bytes, const DatasetInfo& info);

}  // namespace marius
