#include "core/storage/partition_store.h"

#include <zlib.h>

#include <algorithm>

#include <ATen/core/Tensor.h>

#include "core/error.h"
#include "core/plugin/storage_backend.h"
#include "core/storage/row_bytes.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

uint32_t crc_of(const float* embeddings, const float* state, uint64_t half) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(embeddings), half);
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(state), half);
  return static_cast<uint32_t>(crc);
}

}  // namespace

PartitionStore::PartitionStore(const StorageBackend& backend, fs::path dir, std::vector<int64_t> offsets, int64_t dim,
                               bool create, int32_t generations)
    : dir_(std::move(dir)), offsets_(std::move(offsets)), dim_(dim), generations_(generations) {
  if (generations != 1 && generations != 2) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "storage.generations must be 1 or 2, got {}", generations);
  }
  if (offsets_.size() < 2 || offsets_.front() != 0 || !std::is_sorted(offsets_.begin(), offsets_.end())) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "partition store {}: partition offsets must start at 0 and not decrease",
         dir_.string());
  }
  serialize_ = (backend.plugin().capabilities() & MARIUS_CAP_REENTRANT) == 0;
  const int32_t p = num_partitions();
  written_.assign(static_cast<size_t>(p), 0);
  noted_.assign(static_cast<size_t>(p), 0);
  working_crcs_.assign(static_cast<size_t>(p), 0);
  committed_crcs_.assign(static_cast<size_t>(p), 0);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) fail(MARIUS_ERR_IO, "partition store {}: cannot create the directory: {}", dir_.string(), ec.message());
  uint32_t flags = MARIUS_OPEN_READ | MARIUS_OPEN_WRITE;
  if (create) flags |= MARIUS_OPEN_CREATE | MARIUS_OPEN_TRUNCATE;
  for (int32_t g = 0; g < generations_; ++g) files_[g] = backend.open(file(g).string(), flags);
}

PartitionStore::~PartitionStore() = default;

fs::path PartitionStore::file(int32_t generation) const {
  return dir_ / ("nodes." + std::to_string(generation) + ".bin");
}

int64_t PartitionStore::max_rows() const {
  int64_t m = 0;
  for (int32_t k = 0; k < num_partitions(); ++k) m = std::max(m, rows(k));
  return m;
}

int32_t PartitionStore::source_of(int32_t k) {
  int32_t from;
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    from = written_[k] ? working() : generation_;
  }
  if (from < 0) fail(MARIUS_ERR_INTERNAL, "partition store {}: partition {} was never written", dir_.string(), k);
  return from;
}

uint64_t PartitionStore::offset_of(int32_t k) const { return static_cast<uint64_t>(offsets_[k]) * node_row_bytes(dim_); }

void PartitionStore::read(int32_t k, float* embeddings, float* state) {
  const int32_t from = source_of(k);
  const uint64_t half = partition_bytes(k) / 2;
  {
    std::unique_lock<std::mutex> io(io_mutex_, std::defer_lock);
    if (serialize_) io.lock();
    files_[from]->read(offset_of(k), embeddings, half);
    if (state != nullptr) files_[from]->read(offset_of(k) + half, state, half);
  }
  // Written by another process: check what arrived against the CRC it recorded
  // (a filesystem whose caches are not coherent could serve an older copy).
  uint32_t expected = 0;
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    if (!noted_[k] || state == nullptr) return;
    expected = working_crcs_[k];
  }
  const uint32_t crc = crc_of(embeddings, state, half);
  if (crc != expected) {
    fail(MARIUS_ERR_IO,
         "partition file {}: partition {} as read here (CRC-32 {:08x}) is not what the worker that wrote it recorded "
         "({:08x}): the shared filesystem served a stale or torn copy; use a filesystem whose clients see each "
         "other's writes once fsync returns (docs/distributed.md)",
         file(from).string(), k, crc, expected);
  }
}

void PartitionStore::write(int32_t k, const float* embeddings, const float* state) {
  const uint64_t half = partition_bytes(k) / 2;
  const uint64_t offset = offset_of(k);
  const uint32_t crc = crc_of(embeddings, state, half);
  const int32_t to = working();
  {
    std::unique_lock<std::mutex> io(io_mutex_, std::defer_lock);
    if (serialize_) io.lock();
    files_[to]->write(offset, embeddings, half);
    files_[to]->write(offset + half, state, half);
  }
  std::lock_guard<std::mutex> lock(state_mutex_);
  written_[k] = 1;
  noted_[k] = 0;
  working_crcs_[k] = crc;
}

namespace {

void require_host_rows(const at::Tensor& t, int64_t rows, const std::filesystem::path& dir) {
  if (!t.is_cpu() || !t.is_contiguous() || t.size(0) != rows) {
    fail(MARIUS_ERR_INTERNAL, "partition store {}: partitions move only to and from contiguous host memory",
         dir.string());
  }
}

}  // namespace

void PartitionStore::read_into(int32_t k, at::Tensor& embeddings, at::Tensor& state) {
  require_host_rows(embeddings, rows(k), dir_);
  require_host_rows(state, rows(k), dir_);
  read(k, embeddings.data_ptr<float>(), state.data_ptr<float>());
}

void PartitionStore::write_from(int32_t k, const at::Tensor& embeddings, const at::Tensor& state) {
  require_host_rows(embeddings, rows(k), dir_);
  require_host_rows(state, rows(k), dir_);
  write(k, embeddings.data_ptr<float>(), state.data_ptr<float>());
}

void PartitionStore::commit() {
  for (int32_t k = 0; k < num_partitions(); ++k) {
    if (!written_[k]) {
      fail(MARIUS_ERR_INTERNAL, "partition store {}: commit with partition {} not written since the last commit",
           dir_.string(), k);
    }
  }
  const int32_t to = working();
  files_[to]->sync();
  generation_ = to;
  committed_crcs_ = working_crcs_;
  std::fill(written_.begin(), written_.end(), 0);
  std::fill(noted_.begin(), noted_.end(), 0);
}

void PartitionStore::flush() { files_[working()]->sync(); }

uint32_t PartitionStore::working_crc(int32_t k) {
  std::lock_guard<std::mutex> lock(state_mutex_);
  if (!written_[k]) fail(MARIUS_ERR_INTERNAL, "partition store {}: partition {} was not written since the last commit", dir_.string(), k);
  return working_crcs_[k];
}

void PartitionStore::note_written(int32_t k, uint32_t crc) {
  std::lock_guard<std::mutex> lock(state_mutex_);
  written_[k] = 1;
  noted_[k] = 1;
  working_crcs_[k] = crc;
}

void PartitionStore::adopt(int32_t generation, const std::vector<uint32_t>& crcs) {
  if (generation < 0 || generation >= generations_ || crcs.size() != static_cast<size_t>(num_partitions())) {
    fail(MARIUS_ERR_INTERNAL, "partition store {}: adopting generation {} with {} checksums for {} partitions",
         dir_.string(), generation, crcs.size(), num_partitions());
  }
  generation_ = generation;
  committed_crcs_ = crcs;
  std::fill(written_.begin(), written_.end(), 0);
  std::fill(noted_.begin(), noted_.end(), 0);
}

void PartitionStore::restore(int32_t generation, const std::vector<uint32_t>& crcs) {
  if (generation < 0 || generation >= generations_ || crcs.size() != static_cast<size_t>(num_partitions())) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "partition store {}: the checkpoint names generation {} with {} checksums for {} partitions",
         dir_.string(), generation, crcs.size(), num_partitions());
  }
  std::vector<float> embeddings, state;
  for (int32_t k = 0; k < num_partitions(); ++k) {
    const uint64_t half = partition_bytes(k) / 2;
    embeddings.resize(half / sizeof(float));
    state.resize(half / sizeof(float));
    const uint64_t offset = offset_of(k);
    files_[generation]->read(offset, embeddings.data(), half);
    files_[generation]->read(offset + half, state.data(), half);
    uint32_t crc = crc_of(embeddings.data(), state.data(), half);
    if (crc != crcs[k]) {
      fail(MARIUS_ERR_INVALID_ARGUMENT,
           "partition file {}: partition {} fails its checksum (CRC-32 {:08x}, the checkpoint recorded {:08x}); the "
           "file is corrupt or was changed after the checkpoint{}",
           file(generation).string(), k, crc, crcs[k],
           generations_ == 1 ? " (with storage.generations = 1 a crash during an epoch leaves the files changed)" : "");
    }
  }
  generation_ = generation;
  committed_crcs_ = crcs;
  std::fill(written_.begin(), written_.end(), 0);
  std::fill(noted_.begin(), noted_.end(), 0);
}

}  // namespace marius
