#include "core/persist/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include <ATen/ATen.h>

#include "core/data/dataset.h"
#include "core/error.h"
#include "core/logging.h"
#include "marius/sdk/errno_status.hpp"

namespace fs = std::filesystem;

namespace marius {

namespace {

constexpr char kMagic[8] = {'M', 'R', 'S', 'C', 'K', 'P', 'T', '\0'};
// Version 2 added the dataset fingerprint; version 1 is still read.
constexpr uint32_t kVersion = 2;
constexpr uint32_t kOldestVersion = 1;

[[noreturn]] void io_fail(const fs::path& file, const char* what, int err) {
  fail(sdk::status_of_errno(err), "checkpoint {}: {} failed: {}", file.string(), what, std::strerror(err));
}

// Writes through a file descriptor, computing the CRC as it goes.
class Writer {
 public:
  Writer(const fs::path& file) : file_(file) {
    fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) io_fail(file, "open", errno);
  }
  ~Writer() {
    if (fd_ >= 0) ::close(fd_);
  }
  void bytes(const void* data, uint64_t size) {
    crc_ = crc32_z(crc_, static_cast<const Bytef*>(data), size);
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      ssize_t n = ::write(fd_, p, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) io_fail(file_, "write", errno);
      p += n;
      size -= static_cast<uint64_t>(n);
    }
  }
  template <class T>
  void value(T v) {
    bytes(&v, sizeof(v));
  }
  void finish() {
    uint32_t crc = static_cast<uint32_t>(crc_);
    bytes(&crc, sizeof(crc));
    if (::fsync(fd_) != 0) io_fail(file_, "fsync", errno);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) io_fail(file_, "close", errno);
  }

 private:
  fs::path file_;
  int fd_ = -1;
  uLong crc_ = crc32_z(0L, Z_NULL, 0);
};

void write_tensor(Writer& w, const std::string& name, const at::Tensor& t) {
  w.value<uint32_t>(static_cast<uint32_t>(name.size()));
  w.bytes(name.data(), name.size());
  if (!t.defined()) {
    w.value<uint8_t>(255);  // absent
    return;
  }
  at::Tensor c = t.contiguous();
  w.value<uint8_t>(c.scalar_type() == at::kFloat ? 0 : 1);
  w.value<uint8_t>(static_cast<uint8_t>(c.dim()));
  for (int64_t d : c.sizes()) w.value<int64_t>(d);
  uint64_t size = static_cast<uint64_t>(c.numel()) * c.element_size();
  w.value<uint64_t>(size);
  w.bytes(c.data_ptr(), size);
}

// Version 2's fingerprint block: u32 present (0 or 1), then, when present, the
// dataset directory (u64 length, bytes), i64 nodes, relations, train/valid/test
// edges, partitions, and u32 CRC-32s of nodes.txt and relations.txt.
void write_fingerprint(Writer& w, const std::optional<DatasetFingerprint>& f) {
  w.value<uint32_t>(f ? 1 : 0);
  if (!f) return;
  w.value<uint64_t>(f->dataset.size());
  w.bytes(f->dataset.data(), f->dataset.size());
  for (int64_t v : {f->num_nodes, f->num_relations, f->num_edges[0], f->num_edges[1], f->num_edges[2],
                    f->num_partitions}) {
    w.value<int64_t>(v);
  }
  w.value<uint32_t>(f->node_ids_crc);
  w.value<uint32_t>(f->relation_ids_crc);
}

// Reads from a buffer with bounds checks; every failure names the file.
class Reader {
 public:
  Reader(const fs::path& file, std::vector<char> data) : file_(file), data_(std::move(data)) {}
  void bytes(void* out, uint64_t size) {
    if (size > remaining()) truncated();
    if (size == 0) return;  // an empty tensor's data_ptr() is null, which memcpy may not receive
    std::memcpy(out, data_.data() + pos_, size);
    pos_ += size;
  }
  template <class T>
  T value() {
    T v;
    bytes(&v, sizeof(v));
    return v;
  }
  // Nothing is allocated before its bytes are known to be in the file: a corrupt
  // length or shape is an error, never a huge allocation.
  std::pair<std::string, at::Tensor> tensor() {
    std::string name = read_string(value<uint32_t>());
    uint8_t dtype = value<uint8_t>();
    if (dtype == 255) return {name, at::Tensor()};
    if (dtype > 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "checkpoint {}: tensor {} has unknown dtype", file_.string(), name);
    const uint64_t element_size = dtype == 0 ? sizeof(float) : sizeof(int64_t);
    std::vector<int64_t> shape(value<uint8_t>());
    uint64_t numel = 1;
    for (int64_t& d : shape) {
      d = value<int64_t>();
      if (d < 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "checkpoint {}: tensor {} has a negative size", file_.string(), name);
      // numel <= remaining() keeps the product from overflowing
      if (d > 0 && numel > remaining() / static_cast<uint64_t>(d)) truncated();
      numel *= static_cast<uint64_t>(d);
    }
    if (numel > remaining() / element_size) truncated();
    at::Tensor t = at::empty(shape, dtype == 0 ? at::kFloat : at::kLong);
    uint64_t size = value<uint64_t>();
    if (size != static_cast<uint64_t>(t.numel()) * t.element_size()) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "checkpoint {}: tensor {} has an inconsistent size", file_.string(), name);
    }
    bytes(t.data_ptr(), size);
    return {name, t};
  }
  std::optional<DatasetFingerprint> fingerprint() {
    const uint32_t present = value<uint32_t>();
    if (present > 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "checkpoint {}: corrupt dataset fingerprint", file_.string());
    if (present == 0) return std::nullopt;
    DatasetFingerprint f;
    f.dataset = text();
    for (int64_t* v : {&f.num_nodes, &f.num_relations, &f.num_edges[0], &f.num_edges[1], &f.num_edges[2],
                       &f.num_partitions}) {
      *v = value<int64_t>();
    }
    f.node_ids_crc = value<uint32_t>();
    f.relation_ids_crc = value<uint32_t>();
    return f;
  }
  // A u64 length, then that many bytes.
  std::string text() { return read_string(value<uint64_t>()); }
  size_t pos() const { return pos_; }

 private:
  uint64_t remaining() const { return data_.size() - pos_; }
  [[noreturn]] void truncated() const {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "checkpoint {}: truncated", file_.string());
  }
  // The next `size` bytes as a string.
  std::string read_string(uint64_t size) {
    if (size > remaining()) truncated();
    std::string s(size, '\0');
    bytes(s.data(), size);
    return s;
  }

  fs::path file_;
  std::vector<char> data_;
  size_t pos_ = 0;
};

}  // namespace

void save_checkpoint(const fs::path& file, const Model& m, const CheckpointInfo& info) {
  fs::path tmp = file;
  tmp += ".tmp";
  try {
    Writer w(tmp);
    w.bytes(kMagic, sizeof(kMagic));
    w.value<uint32_t>(kVersion);
    const bool partitioned = info.partition_generation >= 0;
    w.value<uint32_t>(partitioned ? 8 : 6);  // tensors
    w.value<int64_t>(info.epochs_done);
    w.value<int64_t>(m.num_nodes);
    w.value<int64_t>(m.dim);
    w.value<int64_t>(m.num_relations);
    w.value<int64_t>(m.relation_width);
    w.value<uint64_t>(info.config_toml.size());
    w.bytes(info.config_toml.data(), info.config_toml.size());
    write_fingerprint(w, info.dataset);
    write_tensor(w, "embeddings", m.embeddings);
    write_tensor(w, "embedding_state", m.embedding_state);
    write_tensor(w, "relations", m.relations);
    write_tensor(w, "relation_state", m.relation_state);
    write_tensor(w, "relation_state2", m.relation_state2);
    write_tensor(w, "relation_steps", m.relation_steps);
    if (partitioned) {
      write_tensor(w, "partition_generation", at::tensor({int64_t{info.partition_generation}}, at::kLong));
      std::vector<int64_t> crcs(info.partition_crcs.begin(), info.partition_crcs.end());
      write_tensor(w, "partition_crcs", at::tensor(crcs, at::kLong));
    }
    w.finish();
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) fail(MARIUS_ERR_IO, "checkpoint {}: rename failed: {}", file.string(), ec.message());
  int dir = ::open(file.parent_path().empty() ? "." : file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);  // make the rename durable
    ::close(dir);
  }
}

Model load_checkpoint(const fs::path& file, CheckpointInfo* info) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) fail(MARIUS_ERR_NOT_FOUND, "checkpoint {}: no such file", file.string());
  std::ifstream in(file, std::ios::binary);
  std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < sizeof(kMagic) + 4 || std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "checkpoint {}: not a marius checkpoint (bad magic)", file.string());
  }
  uint32_t stored_crc;
  std::memcpy(&stored_crc, data.data() + data.size() - 4, 4);
  uint32_t crc = static_cast<uint32_t>(crc32_z(crc32_z(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data.data()),
                                               data.size() - 4));
  if (crc != stored_crc) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "checkpoint {}: checksum mismatch (the file is corrupt or truncated)",
         file.string());
  }
  Reader r(file, std::move(data));
  char magic[8];
  r.bytes(magic, sizeof(magic));
  uint32_t version = r.value<uint32_t>();
  if (version < kOldestVersion || version > kVersion) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "checkpoint {}: version {} is not understood (this build reads {} to {})",
         file.string(), version, kOldestVersion, kVersion);
  }
  uint32_t count = r.value<uint32_t>();
  CheckpointInfo meta;
  meta.epochs_done = r.value<int64_t>();
  Model m;
  m.num_nodes = r.value<int64_t>();
  m.dim = r.value<int64_t>();
  m.num_relations = r.value<int64_t>();
  m.relation_width = r.value<int64_t>();
  meta.config_toml = r.text();
  if (version >= 2) meta.dataset = r.fingerprint();
  at::Tensor generation, crcs;
  for (uint32_t i = 0; i < count; ++i) {
    auto [name, t] = r.tensor();
    if (name == "embeddings") m.embeddings = t;
    else if (name == "embedding_state") m.embedding_state = t;
    else if (name == "relations") m.relations = t;
    else if (name == "relation_state") m.relation_state = t;
    else if (name == "relation_state2") m.relation_state2 = t;
    else if (name == "relation_steps") m.relation_steps = t;
    else if (name == "partition_generation") generation = t;
    else if (name == "partition_crcs") crcs = t;
  }
  auto misshapen = [&](const char* what) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "checkpoint {}: {} is misshapen", file.string(), what);
  };
  auto is_vector_of_long = [](const at::Tensor& t) {
    return t.defined() && t.dim() == 1 && t.scalar_type() == at::kLong;
  };
  if (generation.defined()) {  // one i64 in [0, 2^31)
    if (!is_vector_of_long(generation) || generation.numel() != 1) misshapen("partition_generation");
    const int64_t g = generation.data_ptr<int64_t>()[0];
    if (g < 0 || g > std::numeric_limits<int32_t>::max()) misshapen("partition_generation");
    meta.partition_generation = static_cast<int32_t>(g);
  }
  if (crcs.defined()) {  // one CRC-32 per partition, each in [0, 2^32)
    if (!is_vector_of_long(crcs)) misshapen("partition_crcs");
    const int64_t* v = crcs.data_ptr<int64_t>();
    for (int64_t i = 0; i < crcs.numel(); ++i) {
      if (v[i] < 0 || v[i] > std::numeric_limits<uint32_t>::max()) misshapen("partition_crcs");
      meta.partition_crcs.push_back(static_cast<uint32_t>(v[i]));
    }
  }
  // Every tensor has the dtype and shape the header's counts give (Model::create), so
  // nothing downstream indexes past a table.
  auto is = [](const at::Tensor& t, at::ScalarType dtype, at::IntArrayRef shape) {
    return t.defined() && t.scalar_type() == dtype && t.sizes() == shape;
  };
  const int64_t rows = m.relations.defined() && m.relations.dim() == 2 ? m.relations.size(0) : -1;
  const bool counts_ok = m.num_nodes >= 0 && m.dim > 0 && m.num_relations >= 0 && m.relation_width >= 0;
  const bool nodes_ok = meta.partition_generation >= 0
                            ? !m.embeddings.defined() && !m.embedding_state.defined()
                            : is(m.embeddings, at::kFloat, {m.num_nodes, m.dim}) &&
                                  is(m.embedding_state, at::kFloat, {m.num_nodes, m.dim});
  const bool adam = m.relation_state2.defined() || m.relation_steps.defined();
  const bool doubled = rows > 0 && rows % 2 == 0 && rows / 2 == m.num_relations;  // inverse relations
  const bool relations_ok = (rows == m.num_relations || doubled) &&
                            is(m.relations, at::kFloat, {rows, m.relation_width}) &&
                            is(m.relation_state, at::kFloat, {rows, m.relation_width}) &&
                            (!adam || (is(m.relation_state2, at::kFloat, {rows, m.relation_width}) &&
                                       is(m.relation_steps, at::kLong, {rows})));
  if (!counts_ok || !nodes_ok || !relations_ok) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "checkpoint {}: tensors are missing or misshapen", file.string());
  }
  m.inverse_relations = doubled;
  if (info != nullptr) *info = std::move(meta);
  return m;
}

void require_same_dataset(const CheckpointInfo& info, const Dataset& dataset, const fs::path& checkpoint) {
  if (!info.dataset) {
    logger().warn("checkpoint {} records no dataset fingerprint (written before format version 2): not checking that "
                  "it was trained on {}",
                  checkpoint.string(), dataset.dir().string());
    return;
  }
  const DatasetFingerprint here = fingerprint_of(dataset);
  if (!info.dataset->same_data(here)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "checkpoint {} was trained on {}, not on {}; use the dataset it was trained on (dataset.path), or train a "
         "new model into another output.dir",
         checkpoint.string(), info.dataset->describe(), here.describe());
  }
}

}  // namespace marius
