// core/datasets/converter_support.h - what the layout converters share, and
// the converters of converters.cpp's dispatch (one file per publisher family:
// converters.cpp the plain edge lists, ogb_converters.cpp OGB's archives,
// planetoid_converter.cpp Planetoid's pickles). Internal to core/datasets.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/data/binary_file.h"
#include "core/data/npy_format.h"
#include "core/datasets/converters.h"
#include "core/datasets/pickle.h"
#include "core/error.h"

namespace marius {

PreprocessOptions convert_ogb_link(const DatasetEntry& e, const LocateFile& locate, const std::filesystem::path& work);
PreprocessOptions convert_ogb_node(const DatasetEntry& e, const LocateFile& locate, const std::filesystem::path& work);
PreprocessOptions convert_ogb_node_npz(const DatasetEntry& e, const LocateFile& locate, const std::filesystem::path& work);
PreprocessOptions convert_planetoid(const DatasetEntry& e, const LocateFile& locate, const std::filesystem::path& work);

// Formats into a BinaryWriter (whose errors name the file, a full disk included).
template <typename... Args>
void print(BinaryWriter& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::memory_buffer buffer;
  fmt::format_to(std::back_inserter(buffer), format, std::forward<Args>(args)...);
  out.write(buffer.data(), buffer.size());
}


// A float32 .npy written row by row; the header gets the row count at close().
class NpyRows {
 public:
  static constexpr size_t kHeaderBytes = 128;  // room for any row count: the header keeps its length
  NpyRows(const std::filesystem::path& path, int64_t dim) : out_(path), dim_(dim) {
    const std::string header = npy_header(0, dim_, kHeaderBytes);
    out_.write(header.data(), header.size());
  }
  void row(const std::vector<float>& values) {
    if (static_cast<int64_t>(values.size()) != dim_) {
      fail(MARIUS_ERR_INTERNAL, "{}: a row of {} values in a file of {}", out_.path().string(), values.size(), dim_);
    }
    out_.write(values.data(), values.size() * sizeof(float));
    ++rows_;
  }
  void close() {
    const std::string header = npy_header(rows_, dim_, kHeaderBytes);
    if (header.size() != kHeaderBytes) fail(MARIUS_ERR_INTERNAL, "{}: the .npy header outgrew its room", out_.path().string());
    out_.write_at(0, header.data(), header.size());
    out_.close(false);
  }

 private:
  BinaryWriter out_;
  int64_t dim_;
  int64_t rows_ = 0;
};

// A .npy on disk, memory-mapped (OGB's binary release holds arrays larger than
// memory). Callers index below meta().elements(), which the constructor checks
// against the file's size.
class NpyMap {
 public:
  explicit NpyMap(const std::filesystem::path& path) : where_(path.string()) {
    NpyHeader header;
    {
      BinaryReader in(path);
      header = read_npy_header(in);
      size_ = in.size();
    }
    array_.descr = header.descr;
    array_.shape = header.shape;
    if (!is_plain_descr(array_.descr)) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: element type '{}' (only integers, floats and booleans are read)", where_,
           array_.descr);
    }
    if (checked_elements(array_.shape, static_cast<int64_t>((size_ - header.data_offset) / array_.item_bytes())) < 0) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: shorter than its shape says", where_);
    }
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) fail(MARIUS_ERR_IO, "{}: cannot be opened: {}", where_, std::strerror(errno));
    base_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (base_ == MAP_FAILED) fail(MARIUS_ERR_IO, "{}: cannot be mapped: {}", where_, std::strerror(errno));
    data_ = static_cast<const char*>(base_) + header.data_offset;
  }
  NpyMap(const NpyMap&) = delete;
  NpyMap& operator=(const NpyMap&) = delete;
  ~NpyMap() {
    if (base_ != nullptr && base_ != MAP_FAILED) ::munmap(base_, size_);
  }
  const NdArray& meta() const { return array_; }
  int64_t int_at(int64_t i) const { return element_as_int(data_ + i * array_.item_bytes(), array_.descr, where_); }
  double float_at(int64_t i) const { return element_as_double(data_ + i * array_.item_bytes(), array_.descr, where_); }

 private:
  std::string where_;
  void* base_ = nullptr;
  size_t size_ = 0;
  const char* data_ = nullptr;
  NdArray array_;  // descr and shape; no data
};

// The most nodes a converter accepts (2^40): more is a corrupt count, not a graph.
constexpr int64_t kMaxNodes = int64_t{1} << 40;

// OGB's label value as a class: a whole number >= 0, or -1 (unlabelled: NaN).
int64_t class_of(double label);
// Row `i` of an n x m array as m space-separated ids (a per-edge candidate list).
void print_row(BinaryWriter& out, const NdArray& a, int64_t i, int64_t m, const std::string& where, bool first);
// An array's rows: 1-D length n, or 2-D n x m.
int64_t rows_of(const NdArray& a);
int64_t cols_of(const NdArray& a);
// Error(INVALID_ARGUMENT) naming `where` unless `a` has `rows` rows (and `cols` columns when cols > 0).
void check_rows(const NdArray& a, int64_t rows, int64_t cols, const std::string& where);
// A node count or id on line `line` of `file`: a base-10 integer in [0, kMaxNodes].
int64_t node_number(std::string_view text, const std::filesystem::path& file, int64_t line);
// The first line of a one-number file (OGB's num-node-list.csv.gz), at least 1.
int64_t first_number(const std::filesystem::path& file);
// Copies "a<TAB>b" edges from a comma- or tab-separated integer edge list,
// marking the nodes they name in `seen`.
void copy_edges(const std::filesystem::path& in, BinaryWriter& out, int64_t nodes, std::vector<bool>& seen);
// A self-loop for each node no edge names; returns how many.
int64_t add_self_loops(BinaryWriter& out, const std::vector<bool>& seen);
// Tab-separated head, tail pairs of integer ids: what the converters write.
EdgeListFormat integer_pairs();

}  // namespace marius
