#include "core/persist/export.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/data/npy_format.h"
#include "core/error.h"
#include "marius/sdk/errno_status.hpp"

namespace fs = std::filesystem;

namespace marius {

namespace {

// Opens "<file>.tmp" for writing; commit() flushes and renames it over <file>.
class AtomicFile {
 public:
  explicit AtomicFile(fs::path file) : file_(std::move(file)), tmp_(file_.string() + ".tmp") {
    out_ = std::fopen(tmp_.c_str(), "wb");
    if (out_ == nullptr) fail_io("open");
    std::setvbuf(out_, nullptr, _IOFBF, 1 << 20);
  }
  ~AtomicFile() {
    if (out_ != nullptr) {
      std::fclose(out_);
      std::error_code ec;
      fs::remove(tmp_, ec);
    }
  }
  std::FILE* get() { return out_; }
  void write(const void* data, size_t size) {
    if (size > 0 && std::fwrite(data, 1, size, out_) != size) fail_io("write");
  }
  void commit() {
    if (std::fflush(out_) != 0 || fsync(fileno(out_)) != 0) fail_io("flush");
    std::FILE* f = out_;
    out_ = nullptr;
    if (std::fclose(f) != 0) fail_io("close");
    std::error_code ec;
    fs::rename(tmp_, file_, ec);
    if (ec) fail(MARIUS_ERR_IO, "export {}: rename failed: {}", file_.string(), ec.message());
  }

 private:
  [[noreturn]] void fail_io(const char* what) {
    int err = errno;
    fail(sdk::status_of_errno(err), "export {}: {} failed: {}", tmp_.string(), what, std::strerror(err));
  }
  fs::path file_, tmp_;
  std::FILE* out_ = nullptr;
};

// Rows of `values` as "<id>\t<v1>\t...\n", ids[first + i] for row i.
void write_tsv_rows(AtomicFile& out, const std::vector<std::string>& ids, int64_t first, const at::Tensor& values) {
  at::Tensor v = values.contiguous();
  const float* p = v.data_ptr<float>();
  const int64_t cols = v.size(1);
  std::string line;
  for (int64_t i = 0; i < v.size(0); ++i) {
    line = ids[static_cast<size_t>(first + i)];
    for (int64_t j = 0; j < cols; ++j) fmt::format_to(std::back_inserter(line), "\t{}", p[i * cols + j]);
    line += '\n';
    out.write(line.data(), line.size());
  }
}

void write_tsv(const fs::path& file, const std::vector<std::string>& ids, const at::Tensor& values) {
  AtomicFile out(file);
  write_tsv_rows(out, ids, 0, values);
  out.commit();
}

void write_npy_header(AtomicFile& out, int64_t rows, int64_t cols) {
  const std::string header = npy_header(rows, cols);
  out.write(header.data(), header.size());
}

void write_ids(const fs::path& file, const std::vector<std::string>& ids) {
  AtomicFile out(file);
  for (const auto& id : ids) {
    out.write(id.data(), id.size());
    out.write("\n", 1);
  }
  out.commit();
}

}  // namespace

void write_npy(const fs::path& file, const float* data, int64_t rows, int64_t cols) {
  AtomicFile out(file);
  write_npy_header(out, rows, cols);
  out.write(data, static_cast<size_t>(rows * cols) * sizeof(float));
  out.commit();
}

std::vector<fs::path> export_model(const Model& model, const NodeRows& node_rows, const Dataset& dataset,
                                   const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(MARIUS_ERR_IO, "export {}: cannot create the directory: {}", dir.string(), ec.message());
  std::vector<std::string> nodes = dataset.node_names(), relations = dataset.relation_names();
  if (static_cast<int64_t>(nodes.size()) != model.num_nodes) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "export: the dataset has {} node ids, the model {} rows", nodes.size(), model.num_nodes);
  }
  {
    AtomicFile tsv(dir / "nodes.tsv"), npy(dir / "nodes.npy");
    write_npy_header(npy, node_rows.num_nodes(), node_rows.dim());
    for (int32_t k = 0; k < node_rows.num_blocks(); ++k) {
      at::Tensor block = node_rows.block(k).contiguous();
      write_tsv_rows(tsv, nodes, node_rows.begin(k), block);
      npy.write(block.data_ptr<float>(), static_cast<size_t>(block.numel()) * sizeof(float));
    }
    tsv.commit();
    npy.commit();
  }
  at::Tensor r = model.relations.contiguous();
  write_ids(dir / "node_ids.txt", nodes);
  relations.resize(static_cast<size_t>(model.num_relations));
  if (model.inverse_relations) {  // rows num_relations.. are the inverses
    for (int64_t i = 0; i < model.num_relations; ++i) relations.push_back(relations[static_cast<size_t>(i)] + "@inverse");
  }
  write_tsv(dir / "relations.tsv", relations, r);
  write_npy(dir / "relations.npy", r.data_ptr<float>(), r.size(0), r.size(1));
  write_ids(dir / "relation_ids.txt", relations);
  return {dir / "nodes.tsv", dir / "nodes.npy", dir / "node_ids.txt", dir / "relations.tsv", dir / "relations.npy",
          dir / "relation_ids.txt"};
}

std::vector<fs::path> export_node_rows(const at::Tensor& rows, const Dataset& dataset, const fs::path& dir,
                                       const std::string& stem) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(MARIUS_ERR_IO, "export {}: cannot create the directory: {}", dir.string(), ec.message());
  std::vector<std::string> nodes = dataset.node_names();
  at::Tensor r = rows.to(at::kFloat).contiguous();
  if (static_cast<int64_t>(nodes.size()) != r.size(0)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "export: the dataset has {} node ids, the model {} rows", nodes.size(), r.size(0));
  }
  write_tsv(dir / (stem + ".tsv"), nodes, r);
  write_npy(dir / (stem + ".npy"), r.data_ptr<float>(), r.size(0), r.size(1));
  write_ids(dir / "node_ids.txt", nodes);
  return {dir / (stem + ".tsv"), dir / (stem + ".npy"), dir / "node_ids.txt"};
}

}  // namespace marius
