#include "core/data/dataset.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "core/data/binary_file.h"
#include "core/data/dataset_format.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

// Reads and checks an array file's header against the expected count and
// width, and its size against the header.
ArrayHeader check_array_file(const fs::path& file, ArrayKind kind, uint32_t value_bytes, int64_t count) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) fail(MARIUS_ERR_NOT_FOUND, "{}: missing from the dataset", file.string());
  BinaryReader in(file);
  std::array<char, kArrayHeaderBytes> bytes{};
  in.read(bytes.data(), bytes.size());
  ArrayHeader header = decode_array_header(file, kind, bytes);
  if (header.value_bytes != value_bytes || header.count != count) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "{}: holds {} records of {}-byte values, but header.bin says {} of {}-byte values", file.string(),
         header.count, header.value_bytes, count, value_bytes);
  }
  const uint64_t expected = kArrayHeaderBytes + static_cast<uint64_t>(count) * record_bytes(header);
  if (in.size() != expected) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} bytes, expected {} ({})", file.string(), in.size(), expected,
         in.size() < expected ? "truncated" : "trailing data");
  }
  return header;
}

void check_name_file(const fs::path& file, int64_t bytes) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) fail(MARIUS_ERR_NOT_FOUND, "{}: missing from the dataset", file.string());
  uint64_t size = fs::file_size(file, ec);
  if (ec || size != static_cast<uint64_t>(bytes)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} bytes, but header.bin says {}", file.string(), size, bytes);
  }
}

// `bytes` of an array file's payload, starting `offset` bytes after its header, read into `out`.
void read_payload(const fs::path& file, void* out, uint64_t bytes, uint64_t offset = 0) {
  BinaryReader in(file);
  in.seek(kArrayHeaderBytes + offset);
  in.read(out, bytes);
}

// Fails unless every value of `column` is in [0, limit); rows are numbered from `first`.
void check_range(const fs::path& file, const at::Tensor& column, int64_t limit, const char* what, int64_t first) {
  if (column.numel() == 0) return;
  auto [low, high] = at::aminmax(column);
  if (low.item<int64_t>() >= 0 && high.item<int64_t>() < limit) return;
  int64_t row = ((column < 0) | (column >= limit)).nonzero()[0][0].item<int64_t>();
  fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: corrupt: edge {} has {} id {}, outside [0, {})", file.string(), first + row,
       what, column[row].item<int64_t>(), limit);
}

// Fails unless training edge first + k of `edges` (ids in range) lies in the
// bucket that `bucket_offsets` places it in.
void check_buckets(const fs::path& file, const at::Tensor& edges, int64_t first, const NodePartitioning& partitioning,
                   const std::vector<int64_t>& bucket_offsets) {
  const int64_t rows = edges.size(0);
  if (rows == 0 || partitioning.num_partitions() == 1) return;
  const int64_t* e = edges.data_ptr<int64_t>();
  // The bucket holding edge `first`: the last b with bucket_offsets[b] <= first.
  auto b = static_cast<int64_t>(std::upper_bound(bucket_offsets.begin(), bucket_offsets.end(), first) -
                                bucket_offsets.begin()) - 1;
  const int64_t p = partitioning.num_partitions();
  for (int64_t k = 0; k < rows; ++k) {
    const int64_t index = first + k;
    while (index >= bucket_offsets[static_cast<size_t>(b + 1)]) ++b;
    const int64_t head = e[3 * k];
    const int64_t tail = e[3 * k + 2];
    if (partitioning.bucket_of(head, tail) != b) {
      fail(MARIUS_ERR_INVALID_ARGUMENT,
           "{}: corrupt: edge {} (head {} in partition {}, tail {} in partition {}) lies in bucket ({}, {}) of {}",
           file.string(), index, head, partitioning.partition_of(head), tail, partitioning.partition_of(tail), b / p,
           b % p, kBucketsFile);
    }
  }
}

std::vector<char> read_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) fail(MARIUS_ERR_NOT_FOUND, "{}: missing from the dataset", file.string());
  BinaryReader in(file);
  std::vector<char> bytes(in.size());
  in.read(bytes.data(), bytes.size());
  return bytes;
}

std::vector<std::string> read_names(const fs::path& file, int64_t count) {
  BinaryReader in(file);
  std::string text(in.size(), '\0');
  in.read(text.data(), text.size());
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(count));
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: corrupt: the last line has no line end", file.string());
    names.emplace_back(text, start, end - start);
    start = end + 1;
  }
  if (static_cast<int64_t>(names.size()) != count) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: corrupt: {} lines, expected {}", file.string(), names.size(), count);
  }
  return names;
}

}  // namespace

Dataset Dataset::open(const fs::path& dir) {
  std::error_code ec;
  fs::file_status status = fs::status(dir, ec);
  if (!fs::exists(status)) fail(MARIUS_ERR_NOT_FOUND, "dataset {}: no such directory", dir.string());
  if (!fs::is_directory(status)) fail(MARIUS_ERR_INVALID_ARGUMENT, "dataset {}: not a directory", dir.string());
  const fs::path header_file = dir / kHeaderFile;
  if (!fs::exists(header_file, ec)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "dataset {}: no {}: not a marius dataset, or its writing never finished (write it with marius-run "
         "preprocess)",
         dir.string(), kHeaderFile);
  }
  BinaryReader in(header_file);
  if (in.size() != kHeaderBytes) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} bytes, expected {}", header_file.string(), in.size(), kHeaderBytes);
  }
  std::array<char, kHeaderBytes> bytes{};
  in.read(bytes.data(), bytes.size());
  DatasetHeader header = decode_header(header_file, bytes);

  Dataset dataset;
  dataset.dir_ = dir;
  dataset.info_ = header.info;
  const DatasetInfo& info = dataset.info_;
  for (Split s : kSplits) {
    check_array_file(dir / edge_file_name(s), ArrayKind::kEdges, static_cast<uint32_t>(info.id_bytes),
                     info.num_edges[static_cast<int>(s)]);
  }
  check_array_file(dir / kDegreesFile, ArrayKind::kDegrees, 8, info.num_nodes);
  check_name_file(dir / kNodeNamesFile, header.node_names_bytes);
  check_name_file(dir / kRelationNamesFile, header.relation_names_bytes);
  const fs::path buckets_file = dir / kBucketsFile;
  BucketIndex buckets = decode_buckets(buckets_file, read_file(buckets_file), info);
  dataset.partitioning_ = NodePartitioning(info.num_nodes, info.num_partitions);
  dataset.partition_offsets_ = std::move(buckets.partition_offsets);
  dataset.bucket_offsets_ = std::move(buckets.bucket_offsets);
  return dataset;
}

at::Tensor Dataset::edges(Split split) const { return edges(split, 0, info_.num_edges[static_cast<int>(split)]); }

at::Tensor Dataset::edges(Split split, int64_t begin, int64_t end) const {
  const fs::path file = dir_ / edge_file_name(split);
  const int64_t count = info_.num_edges[static_cast<int>(split)];
  if (begin < 0 || begin > end || end > count) {
    fail(MARIUS_ERR_OUT_OF_RANGE, "{}: edges [{}, {}) asked for, but the file holds edges [0, {})", file.string(),
         begin, end, count);
  }
  const at::ScalarType type = info_.id_bytes == 4 ? at::kInt : at::kLong;
  at::Tensor edges = at::empty({end - begin, 3}, at::TensorOptions().dtype(type));
  const auto record = 3 * static_cast<uint64_t>(info_.id_bytes);
  read_payload(file, edges.data_ptr(), static_cast<uint64_t>(end - begin) * record,
               static_cast<uint64_t>(begin) * record);
  if (type != at::kLong) edges = edges.to(at::kLong);
  check_range(file, edges.select(1, 0), info_.num_nodes, "head", begin);
  check_range(file, edges.select(1, 1), info_.num_relations, "relation", begin);
  check_range(file, edges.select(1, 2), info_.num_nodes, "tail", begin);
  if (split == Split::kTrain) check_buckets(file, edges, begin, partitioning_, bucket_offsets_);
  return edges;
}

at::Tensor Dataset::degrees() const {
  const fs::path file = dir_ / kDegreesFile;
  at::Tensor degrees = at::empty({info_.num_nodes}, at::TensorOptions().dtype(at::kLong));
  read_payload(file, degrees.data_ptr(), static_cast<uint64_t>(info_.num_nodes) * sizeof(int64_t));
  if (info_.num_nodes > 0 && degrees.min().item<int64_t>() < 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: corrupt: negative degree", file.string());
  }
  return degrees;
}

std::vector<std::string> Dataset::node_names() const {
  return read_names(dir_ / kNodeNamesFile, info_.num_nodes);
}

std::vector<std::string> Dataset::relation_names() const {
  return read_names(dir_ / kRelationNamesFile, info_.num_relations);
}

int64_t Dataset::largest_partition_rows() const {
  int64_t rows = 0;
  for (size_t k = 0; k + 1 < partition_offsets_.size(); ++k) {
    rows = std::max(rows, partition_offsets_[k + 1] - partition_offsets_[k]);
  }
  return rows;
}

}  // namespace marius
