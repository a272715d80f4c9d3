#include "core/data/dataset_format.h"

#include "core/data/adjacency_index.h"
#include "core/data/given_negatives.h"
#include "core/data/node_data.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "core/data/partitioning.h"
#include "core/data/staging_dir.h"
#include "core/error.h"

namespace marius {

namespace {

constexpr char kDatasetMagic[8] = {'M', 'A', 'R', 'I', 'U', 'S', 'D', 'S'};
constexpr char kEdgesMagic[8] = {'M', 'A', 'R', 'I', 'U', 'S', 'E', 'D'};
constexpr char kDegreesMagic[8] = {'M', 'A', 'R', 'I', 'U', 'S', 'D', 'G'};
constexpr char kBucketsMagic[8] = {'M', 'A', 'R', 'I', 'U', 'S', 'B', 'K'};
constexpr uint32_t kHasRelations = 1;    // header flags bit 0
constexpr uint32_t kMetisPartitions = 2; // header flags bit 1: Partitioner::kMetis

template <class T>
void put(char* out, size_t offset, T value) {
  std::memcpy(out + offset, &value, sizeof value);
}

template <class T>
T get(const char* in, size_t offset) {
  T value;
  std::memcpy(&value, in + offset, sizeof value);
  return value;
}

[[noreturn]] void version_mismatch(const std::filesystem::path& file, uint32_t version) {
  fail(MARIUS_ERR_VERSION_MISMATCH,
       "{}: dataset format version {}, but this build reads version {} only; preprocess the data again", file.string(),
       version, kDatasetFormatVersion);
}

}  // namespace

const char* partitioner_name(Partitioner p) { return p == Partitioner::kMetis ? "metis" : "random"; }

const char* split_name(Split split) {
  switch (split) {
    case Split::kTrain: return "train";
    case Split::kValid: return "valid";
    case Split::kTest: return "test";
  }
  return "unknown";
}

const char* edge_file_name(Split split) {
  switch (split) {
    case Split::kTrain: return "train.edges";
    case Split::kValid: return "valid.edges";
    case Split::kTest: return "test.edges";
  }
  return "unknown.edges";
}

const std::vector<std::string>& dataset_file_names() {
  static const std::vector<std::string> names = {kHeaderFile,
                                                 edge_file_name(Split::kTrain),
                                                 edge_file_name(Split::kValid),
                                                 edge_file_name(Split::kTest),
                                                 kBucketsFile,
                                                 kDegreesFile,
                                                 kNodeNamesFile,
                                                 kRelationNamesFile};
  return names;
}

const std::vector<std::string>& replaceable_dataset_file_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all = dataset_file_names();
    for (const char* const* n = node_data_file_names(); *n != nullptr; ++n) all.emplace_back(*n);
    for (const char* const* n = adjacency_index_file_names(); *n != nullptr; ++n) all.emplace_back(*n);
    for (const char* const* n = given_negatives_file_names(); *n != nullptr; ++n) all.emplace_back(*n);
    return all;
  }();
  return names;
}

std::string dataset_replace_refusal(const std::filesystem::path& dir) {
  const std::string foreign = first_foreign_entry(dir, replaceable_dataset_file_names());
  if (!foreign.empty()) return fmt::format("it holds \"{}\", which is not a dataset file", foreign);
  std::ifstream in(dir / kHeaderFile, std::ios::binary);
  char magic[8] = {};
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, kDatasetMagic, sizeof magic) != 0) {
    return fmt::format("it has no {} starting with the dataset magic", kHeaderFile);
  }
  return "";
}

// Offsets: magic 0, version 8, id_bytes 12, flags 16, num_partitions 20, num_nodes 24,
// num_relations 32, edges 40/48/56, names bytes 64/72.
std::array<char, kHeaderBytes> encode_header(const DatasetHeader& header) {
  std::array<char, kHeaderBytes> out{};
  const DatasetInfo& info = header.info;
  std::memcpy(out.data(), kDatasetMagic, 8);
  put<uint32_t>(out.data(), 8, kDatasetFormatVersion);
  put<uint32_t>(out.data(), 12, static_cast<uint32_t>(info.id_bytes));
  put<uint32_t>(out.data(), 16, (info.has_relations ? kHasRelations : 0) |
                                    (info.partitioner == Partitioner::kMetis ? kMetisPartitions : 0));
  put<uint32_t>(out.data(), 20, static_cast<uint32_t>(info.num_partitions));
  put<int64_t>(out.data(), 24, info.num_nodes);
  put<int64_t>(out.data(), 32, info.num_relations);
  for (int s = 0; s < 3; ++s) put<int64_t>(out.data(), 40 + 8 * static_cast<size_t>(s), info.num_edges[s]);
  put<int64_t>(out.data(), 64, header.node_names_bytes);
  put<int64_t>(out.data(), 72, header.relation_names_bytes);
  return out;
}

DatasetHeader decode_header(const std::filesystem::path& file, const std::array<char, kHeaderBytes>& bytes) {
  const char* in = bytes.data();
  auto corrupt = [&](const std::string& what) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: not a valid marius dataset header: {}", file.string(), what);
  };
  if (std::memcmp(in, kDatasetMagic, 8) != 0) corrupt("wrong magic (expected \"MARIUSDS\")");
  uint32_t version = get<uint32_t>(in, 8);
  if (version != kDatasetFormatVersion) version_mismatch(file, version);
  DatasetHeader header;
  DatasetInfo& info = header.info;
  uint32_t id_bytes = get<uint32_t>(in, 12);
  uint32_t flags = get<uint32_t>(in, 16);
  if (id_bytes != 4 && id_bytes != 8) corrupt(fmt::format("id width {} bytes (expected 4 or 8)", id_bytes));
  if ((flags & ~(kHasRelations | kMetisPartitions)) != 0) corrupt(fmt::format("unknown flags 0x{:x}", flags));
  info.id_bytes = static_cast<int32_t>(id_bytes);
  info.has_relations = (flags & kHasRelations) != 0;
  info.partitioner = (flags & kMetisPartitions) != 0 ? Partitioner::kMetis : Partitioner::kRandom;
  info.num_partitions = get<uint32_t>(in, 20);
  info.num_nodes = get<int64_t>(in, 24);
  info.num_relations = get<int64_t>(in, 32);
  for (int s = 0; s < 3; ++s) info.num_edges[s] = get<int64_t>(in, 40 + 8 * static_cast<size_t>(s));
  header.node_names_bytes = get<int64_t>(in, 64);
  header.relation_names_bytes = get<int64_t>(in, 72);

  const int64_t id_limit = id_bytes == 4 ? INT32_MAX : INT64_MAX;
  if (info.num_nodes < 1 || info.num_nodes - 1 > id_limit) corrupt(fmt::format("{} nodes", info.num_nodes));
  if (info.num_relations < 1 || info.num_relations - 1 > id_limit) {
    corrupt(fmt::format("{} relations", info.num_relations));
  }
  if (info.num_partitions < 1 || info.num_partitions > std::min(info.num_nodes, kMaxPartitions)) {
    corrupt(fmt::format("{} partitions of {} nodes", info.num_partitions, info.num_nodes));
  }
  if (info.partitioner == Partitioner::kMetis && info.num_partitions == 1) corrupt("METIS partitions of one partition");
  if (!info.has_relations && info.num_relations != 1) {
    corrupt(fmt::format("a plain graph with {} relations (expected 1)", info.num_relations));
  }
  for (int s = 0; s < 3; ++s) {
    if (info.num_edges[s] < 0) corrupt(fmt::format("{} {} edges", info.num_edges[s], split_name(static_cast<Split>(s))));
  }
  if (header.node_names_bytes < info.num_nodes || header.relation_names_bytes < info.num_relations) {
    corrupt("name file sizes smaller than one line per id");
  }
  return header;
}

// Offsets: magic 0, version 8, value_bytes 12, count 16.
std::array<char, kArrayHeaderBytes> encode_array_header(const ArrayHeader& header) {
  std::array<char, kArrayHeaderBytes> out{};
  std::memcpy(out.data(), header.kind == ArrayKind::kEdges ? kEdgesMagic : kDegreesMagic, 8);
  put<uint32_t>(out.data(), 8, kDatasetFormatVersion);
  put<uint32_t>(out.data(), 12, header.value_bytes);
  put<int64_t>(out.data(), 16, header.count);
  return out;
}

ArrayHeader decode_array_header(const std::filesystem::path& file, ArrayKind kind,
                                const std::array<char, kArrayHeaderBytes>& bytes) {
  const char* in = bytes.data();
  const bool edges = kind == ArrayKind::kEdges;
  if (std::memcmp(in, edges ? kEdgesMagic : kDegreesMagic, 8) != 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: not a marius {} file: wrong magic (expected \"{}\")", file.string(),
         edges ? "edge" : "degrees", edges ? "MARIUSED" : "MARIUSDG");
  }
  uint32_t version = get<uint32_t>(in, 8);
  if (version != kDatasetFormatVersion) version_mismatch(file, version);
  ArrayHeader header;
  header.kind = kind;
  header.value_bytes = get<uint32_t>(in, 12);
  header.count = get<int64_t>(in, 16);
  bool width_ok = edges ? header.value_bytes == 4 || header.value_bytes == 8 : header.value_bytes == 8;
  if (!width_ok || header.count < 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: corrupt header: {}-byte values, count {}", file.string(),
         header.value_bytes, header.count);
  }
  return header;
}

uint64_t record_bytes(const ArrayHeader& header) {
  return header.kind == ArrayKind::kEdges ? 3u * header.value_bytes : header.value_bytes;
}

uint64_t buckets_file_bytes(int64_t partitions) {
  const auto p = static_cast<uint64_t>(partitions);
  return kBucketsHeaderBytes + 8 * (p + 1) + 8 * (p * p + 1);
}

// Offsets: magic 0, version 8, p 12, partition offsets 16, then bucket offsets.
std::vector<char> encode_buckets(const BucketIndex& index) {
  const auto p = static_cast<int64_t>(index.partition_offsets.size()) - 1;
  std::vector<char> out(buckets_file_bytes(p));
  std::memcpy(out.data(), kBucketsMagic, 8);
  put<uint32_t>(out.data(), 8, kDatasetFormatVersion);
  put<uint32_t>(out.data(), 12, static_cast<uint32_t>(p));
  size_t at = kBucketsHeaderBytes;
  for (const auto* offsets : {&index.partition_offsets, &index.bucket_offsets}) {
    std::memcpy(out.data() + at, offsets->data(), offsets->size() * sizeof(int64_t));
    at += offsets->size() * sizeof(int64_t);
  }
  return out;
}

BucketIndex decode_buckets(const std::filesystem::path& file, const std::vector<char>& bytes, const DatasetInfo& info) {
  auto corrupt = [&](const std::string& what) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: corrupt: {}", file.string(), what);
  };
  const int64_t p = info.num_partitions;
  const uint64_t expected = buckets_file_bytes(p);
  if (bytes.size() < kBucketsHeaderBytes || std::memcmp(bytes.data(), kBucketsMagic, 8) != 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: not a marius bucket index: wrong magic (expected \"MARIUSBK\")",
         file.string());
  }
  const char* in = bytes.data();
  uint32_t version = get<uint32_t>(in, 8);
  if (version != kDatasetFormatVersion) version_mismatch(file, version);
  uint32_t partitions = get<uint32_t>(in, 12);
  if (partitions != p) corrupt(fmt::format("{} partitions, but header.bin says {}", partitions, p));
  if (bytes.size() != expected) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} bytes, expected {} for {} partitions ({})", file.string(), bytes.size(),
         expected, p, bytes.size() < expected ? "truncated" : "trailing data");
  }
  BucketIndex index;
  index.partition_offsets.resize(static_cast<size_t>(p + 1));
  index.bucket_offsets.resize(static_cast<size_t>(p * p + 1));
  std::memcpy(index.partition_offsets.data(), in + kBucketsHeaderBytes, index.partition_offsets.size() * 8);
  std::memcpy(index.bucket_offsets.data(), in + kBucketsHeaderBytes + index.partition_offsets.size() * 8,
              index.bucket_offsets.size() * 8);

  const NodePartitioning rule(info.num_nodes, p);
  for (int64_t k = 0; k <= p; ++k) {
    if (index.partition_offsets[static_cast<size_t>(k)] != rule.offset(k)) {
      corrupt(fmt::format("partition offset {} is {}, expected floor({} * {} / {}) = {}", k,
                          index.partition_offsets[static_cast<size_t>(k)], k, info.num_nodes, p, rule.offset(k)));
    }
  }
  const std::vector<int64_t>& b = index.bucket_offsets;
  const int64_t train = info.num_edges[static_cast<int>(Split::kTrain)];
  if (b.front() != 0) corrupt(fmt::format("bucket offset 0 is {}, expected 0", b.front()));
  for (size_t k = 1; k < b.size(); ++k) {
    if (b[k] < b[k - 1]) {
      corrupt(fmt::format("bucket offset {} ({}) is below bucket offset {} ({})", k, b[k], k - 1, b[k - 1]));
    }
  }
  if (b.back() != train) {
    corrupt(fmt::format("the buckets hold {} edges, but header.bin says {} training edges", b.back(), train));
  }
  return index;
}

}  // namespace marius
