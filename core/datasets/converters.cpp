#include "core/datasets/converters.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/data/line_reader.h"
#include "core/datasets/archive.h"
#include "core/datasets/pickle.h"
#include "core/error.h"
#include "core/logging.h"

namespace marius {

namespace fs = std::filesystem;

namespace {

// Buffered text or binary output that reports a full disk by name.
class OutFile {
 public:
  explicit OutFile(fs::path path) : path_(std::move(path)) {
    file_ = std::fopen(path_.c_str(), "wb");
    if (file_ == nullptr) fail(MARIUS_ERR_IO, "{}: cannot be created: {}", path_.string(), std::strerror(errno));
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  }
  OutFile(const OutFile&) = delete;
  OutFile& operator=(const OutFile&) = delete;
  ~OutFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  void write(const void* data, size_t bytes) {
    if (std::fwrite(data, 1, bytes, file_) != bytes) failed();
  }
  void text(const std::string& s) { write(s.data(), s.size()); }
  template <typename... Args>
  void print(fmt::format_string<Args...> format, Args&&... args) {
    buffer_.clear();
    fmt::format_to(std::back_inserter(buffer_), format, std::forward<Args>(args)...);
    write(buffer_.data(), buffer_.size());
  }
  std::FILE* raw() { return file_; }
  const fs::path& path() const { return path_; }
  void close() {
    int status = std::fclose(file_);
    file_ = nullptr;
    if (status != 0) failed();
  }

 private:
  [[noreturn]] void failed() {
    int e = errno;
    fail(e == ENOSPC ? MARIUS_ERR_NO_SPACE : MARIUS_ERR_IO, "{}: cannot be written: {}", path_.string(), std::strerror(e));
  }
  fs::path path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
};

// A float32 .npy written row by row; the header (fixed at 128 bytes) gets the
// row count when the file is closed.
class NpyRows {
 public:
  NpyRows(fs::path path, int64_t dim) : out_(std::move(path)), dim_(dim) { out_.write(header(0).data(), 128); }
  void row(const std::vector<float>& values) {
    if (static_cast<int64_t>(values.size()) != dim_) {
      fail(MARIUS_ERR_INTERNAL, "{}: a row of {} values in a file of {}", out_.path().string(), values.size(), dim_);
    }
    out_.write(values.data(), values.size() * sizeof(float));
    ++rows_;
  }
  void close() {
    if (std::fseek(out_.raw(), 0, SEEK_SET) != 0) fail(MARIUS_ERR_IO, "{}: cannot seek", out_.path().string());
    out_.write(header(rows_).data(), 128);
    out_.close();
  }
  int64_t rows() const { return rows_; }

 private:
  std::string header(int64_t rows) const {
    std::string dict = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", rows, dim_);
    std::string h = "\x93NUMPY\x01";
    h += '\0';
    uint16_t length = 128 - 10;
    h += static_cast<char>(length & 0xff);
    h += static_cast<char>(length >> 8);
    h += dict;
    h.append(128 - 1 - h.size(), ' ');
    h += '\n';
    return h;
  }
  OutFile out_;
  int64_t dim_;
  int64_t rows_ = 0;
};

// A .npy on disk, memory-mapped (OGB's binary release holds arrays larger than memory).
class NpyMap {
 public:
  // Callers index below meta().elements(), which the constructor checks against the file's size.
  explicit NpyMap(const fs::path& path) : path_(path), where_(path.string()) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) fail(MARIUS_ERR_NOT_FOUND, "{}: cannot be opened: {}", path.string(), std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      fail(MARIUS_ERR_IO, "{}: cannot be read: {}", path.string(), std::strerror(errno));
    }
    size_ = static_cast<size_t>(st.st_size);
    base_ = size_ > 0 ? ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
    ::close(fd);
    if (base_ == MAP_FAILED) fail(MARIUS_ERR_IO, "{}: cannot be mapped: {}", path.string(), std::strerror(errno));
    const char* p = static_cast<const char*>(base_);
    if (size_ < 12 || std::memcmp(p, "\x93NUMPY", 6) != 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: not a .npy file", path.string());
    size_t header_len = static_cast<unsigned char>(p[8]) | (static_cast<size_t>(static_cast<unsigned char>(p[9])) << 8);
    size_t offset = 10;
    if (p[6] >= 2) {
      header_len = 0;
      for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(p[8 + i])) << (8 * i);
      offset = 12;
    }
    if (header_len > size_ - offset) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the header runs past the end of the file", path.string());
    std::string header(p + offset, header_len);
    data_ = p + offset + header_len;
    const size_t data_bytes = size_ - offset - header_len;
    auto field = [&](const std::string& key) {
      size_t at = header.find("'" + key + "':");
      if (at == std::string::npos) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no '{}' in the header", path.string(), key);
      return header.substr(at + key.size() + 3);
    };
    std::string descr = field("descr");
    size_t q1 = descr.find('\''), q2 = q1 == std::string::npos ? q1 : descr.find('\'', q1 + 1);
    if (q2 == std::string::npos) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a malformed 'descr'", path.string());
    array_.descr = descr.substr(q1 + 1, q2 - q1 - 1);
    if (!is_plain_descr(array_.descr)) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: element type '{}' (only integers, floats and booleans are read)", path.string(),
           array_.descr);
    }
    std::string order = field("fortran_order");
    if (order.find("False") > 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: Fortran-order arrays are not read", path.string());
    std::string shape = field("shape");
    size_t open = shape.find('('), close = shape.find(')');
    if (open == std::string::npos || close == std::string::npos || close < open) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a malformed 'shape'", path.string());
    }
    std::string dims = shape.substr(open + 1, close - open - 1);
    size_t pos = 0;
    while (pos <= dims.size()) {
      size_t comma = dims.find(',', pos);
      std::string item = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (item.find_first_not_of(' ') != std::string::npos) {
        char* end = nullptr;
        long long d = std::strtoll(item.c_str(), &end, 10);
        if (end == item.c_str() || d < 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a malformed 'shape'", path.string());
        array_.shape.push_back(d);
      }
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    if (checked_elements(array_.shape, static_cast<int64_t>(data_bytes) / array_.item_bytes()) < 0) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: shorter than its shape says", path.string());
    }
  }
  ~NpyMap() {
    if (base_ != nullptr && base_ != MAP_FAILED) ::munmap(base_, size_);
  }
  const NdArray& meta() const { return array_; }
  int64_t int_at(int64_t i) const { return element_as_int(data_ + i * array_.item_bytes(), array_.descr, where_); }
  double float_at(int64_t i) const { return element_as_double(data_ + i * array_.item_bytes(), array_.descr, where_); }

 private:
  fs::path path_;
  std::string where_;
  void* base_ = nullptr;
  size_t size_ = 0;
  const char* data_ = nullptr;
  NdArray array_;
};

// An array's rows: 1-D length n, or 2-D n x m.
int64_t rows_of(const NdArray& a) { return a.shape.empty() ? 1 : a.shape[0]; }
int64_t cols_of(const NdArray& a) { return a.shape.size() < 2 ? 1 : a.shape[1]; }

void check_rows(const NdArray& a, int64_t rows, int64_t cols, const std::string& where) {
  if (rows_of(a) != rows || (cols > 0 && cols_of(a) != cols) || a.shape.size() > 2) {
    std::string shape;
    for (int64_t d : a.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: shape ({}), expected {} rows{}", where, shape, rows,
         cols > 0 ? fmt::format(" of {}", cols) : std::string());
  }
}

// The most nodes a converter accepts (2^40): more is a corrupt count, not a graph.
constexpr int64_t kMaxNodes = int64_t{1} << 40;

// A node count or id on line `line` of `file`: a base-10 integer in [0, kMaxNodes].
int64_t node_number(std::string_view text, const fs::path& file, int64_t line) {
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size() || errno != 0 || v < 0 || v > kMaxNodes) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: \"{}\" is not a node count or id (0 to 2^40)", file.string(), line, s);
  }
  return v;
}

// The first line of a one-number file (OGB's num-node-list.csv.gz).
int64_t first_number(const fs::path& file) {
  LineReader r(file);
  std::string_view line;
  if (!r.next(line)) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: empty", file.string());
  int64_t n = node_number(line, file, 1);
  if (n < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:1: no nodes", file.string());
  return n;
}

// Copies "a<TAB>b" edges from a comma- or tab-separated integer edge list,
// marking the nodes they name in `seen`.
void copy_edges(const fs::path& in, OutFile& out, int64_t nodes, std::vector<bool>& seen) {
  LineReader r(in);
  std::string_view line;
  while (r.next(line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sep = line.find_first_of(",\t ");
    if (sep == std::string_view::npos) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: expected two node ids", in.string(), r.line_number());
    std::string a(line.substr(0, sep)), b(line.substr(sep + 1));
    int64_t u, v;
    try {
      u = std::stoll(a);
      v = std::stoll(b);
    } catch (const std::exception&) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: expected two integer node ids: \"{}\"", in.string(), r.line_number(),
           std::string(line));
    }
    if (u < 0 || v < 0 || u >= nodes || v >= nodes) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: node id out of range 0..{}", in.string(), r.line_number(), nodes - 1);
    }
    seen[u] = seen[v] = true;
    out.print("{}\t{}\n", u, v);
  }
}

// A self-loop for each node no edge names; returns how many.
int64_t add_self_loops(OutFile& out, const std::vector<bool>& seen) {
  int64_t loops = 0;
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) {
      out.print("{}\t{}\n", i, i);
      ++loops;
    }
  }
  return loops;
}

EdgeListFormat integer_pairs() {
  EdgeListFormat f;
  f.delimiter = '\t';
  f.columns = ColumnLayout::parse("ht");
  f.ids = IdKind::kInteger;
  return f;
}

PreprocessOptions convert_kg(const DatasetEntry& e, const LocateFile& locate) {
  PreprocessOptions o;
  o.train = locate(e.train);
  if (!e.valid.empty()) o.valid = locate(e.valid);
  if (!e.test.empty()) o.test = locate(e.test);
  o.format.delimiter = parse_delimiter(e.delimiter);
  o.format.columns = ColumnLayout::parse(e.columns);
  o.format.ids = parse_id_kind(e.ids);
  if (!e.valid_negatives.empty()) o.negatives[1] = locate(e.valid_negatives);
  if (!e.test_negatives.empty()) o.negatives[2] = locate(e.test_negatives);
  o.negatives_layout = NegativesLayout::kShared;
  return o;
}

PreprocessOptions convert_snap(const DatasetEntry& e, const LocateFile& locate) {
  PreprocessOptions o;
  o.input = locate(e.edges);
  o.split = e.fractions;
  o.format.delimiter = parse_delimiter(e.delimiter);
  o.format.columns = ColumnLayout::parse("ht");
  o.format.ids = IdKind::kInteger;
  return o;
}

// One split file of an OGB link set, written as edges (and negatives) in TSV.
void write_link_split(const DatasetEntry& e, const fs::path& pt, const std::string& split, const fs::path& work,
                      PreprocessOptions& o) {
  PyRef dict = load_torch_file(pt);
  const std::string where = pt.string();
  if (dict->kind != PyValue::Kind::kDict) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a {}, expected a dict", where, dict->kind_name());
  auto array = [&](const char* key) { return as_array(dict->at(key, where), where + " '" + key + "'"); };
  fs::path edges_path = work / (split + ".tsv");
  OutFile edges(edges_path);
  const bool evaluated = split != "train";
  if (e.keys == "edge") {
    NdArray edge = array("edge");
    check_rows(edge, rows_of(edge), 2, where + " 'edge'");
    for (int64_t i = 0; i < rows_of(edge); ++i) edges.print("{}\t{}\n", edge.int_at(2 * i, where), edge.int_at(2 * i + 1, where));
    if (evaluated) {
      NdArray neg = array("edge_neg");
      check_rows(neg, rows_of(neg), 2, where + " 'edge_neg'");
      fs::path neg_path = work / (split + "_negatives.tsv");
      OutFile out(neg_path);
      for (int64_t i = 0; i < rows_of(neg); ++i) out.print("{}\t{}\n", neg.int_at(2 * i, where), neg.int_at(2 * i + 1, where));
      out.close();
      o.negatives[split == "valid" ? 1 : 2] = neg_path;
      o.negatives_layout = NegativesLayout::kShared;
    }
  } else if (e.keys == "source_target") {
    NdArray source = array("source_node");
    NdArray target = array("target_node");
    int64_t n = rows_of(source);
    check_rows(target, n, 0, where + " 'target_node'");
    for (int64_t i = 0; i < n; ++i) edges.print("{}\t{}\n", source.int_at(i, where), target.int_at(i, where));
    if (evaluated) {
      NdArray neg = array("target_node_neg");
      check_rows(neg, n, 0, where + " 'target_node_neg'");
      int64_t m = cols_of(neg);
      fs::path neg_path = work / (split + "_negatives.txt");
      OutFile out(neg_path);
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < m; ++j) out.print(j == 0 ? "{}" : " {}", neg.int_at(i * m + j, where));
        out.text("\n");
      }
      out.close();
      o.negatives[split == "valid" ? 1 : 2] = neg_path;
      o.negatives_layout = NegativesLayout::kTails;
    }
  } else {
    NdArray head = array("head");
    NdArray relation = array("relation");
    NdArray tail = array("tail");
    int64_t n = rows_of(head);
    check_rows(relation, n, 0, where + " 'relation'");
    check_rows(tail, n, 0, where + " 'tail'");
    for (int64_t i = 0; i < n; ++i) {
      edges.print("{}\t{}\t{}\n", head.int_at(i, where), relation.int_at(i, where), tail.int_at(i, where));
    }
    if (evaluated) {
      NdArray heads = array("head_neg");
      NdArray tails = array("tail_neg");
      check_rows(heads, n, 0, where + " 'head_neg'");
      check_rows(tails, n, cols_of(heads), where + " 'tail_neg'");
      int64_t m = cols_of(heads);
      fs::path neg_path = work / (split + "_negatives.txt");
      OutFile out(neg_path);
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < m; ++j) out.print(j == 0 ? "{}" : " {}", heads.int_at(i * m + j, where));
        for (int64_t j = 0; j < m; ++j) out.print(" {}", tails.int_at(i * m + j, where));
        out.text("\n");
      }
      out.close();
      o.negatives[split == "valid" ? 1 : 2] = neg_path;
      o.negatives_layout = NegativesLayout::kBoth;
    }
  }
  edges.close();
  (split == "train" ? o.train : split == "valid" ? o.valid : o.test) = edges_path;
}

PreprocessOptions convert_ogb_link(const DatasetEntry& e, const LocateFile& locate, const fs::path& work) {
  PreprocessOptions o;
  o.format.delimiter = '\t';
  o.format.columns = ColumnLayout::parse(e.keys == "head_relation_tail" ? "hrt" : "ht");
  o.format.ids = IdKind::kInteger;
  for (const char* split : {"train", "valid", "test"}) {
    write_link_split(e, locate(e.root + "/split/" + e.split + "/" + split + ".pt"), split, work, o);
  }
  return o;
}

// OGB's node label file: one number per line (a float, "nan" for none), row i is node i.
void write_labels_from_csv(const fs::path& in, const fs::path& out_path, int64_t nodes) {
  LineReader r(in);
  OutFile out(out_path);
  std::string_view line;
  int64_t i = 0;
  while (r.next(line)) {
    if (line.empty()) continue;
    if (i >= nodes) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: more label lines than the {} nodes", in.string(), r.line_number(), nodes);
    double v = std::strtod(std::string(line).c_str(), nullptr);
    out.print("{}\t{}\n", i, std::isfinite(v) && v >= 0 ? static_cast<int64_t>(v) : -1);
    ++i;
  }
  out.close();
}

void write_features_from_csv(const fs::path& in, const fs::path& out_path) {
  LineReader r(in);
  std::unique_ptr<NpyRows> out;
  std::vector<float> row;
  std::string_view line;
  while (r.next(line)) {
    if (line.empty()) continue;
    row.clear();
    std::string text(line);
    const char* p = text.c_str();
    while (*p != '\0') {
      char* end = nullptr;
      float v = std::strtof(p, &end);
      if (end == p || !std::isfinite(v)) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: feature {} is not a finite number", in.string(), r.line_number(),
             row.size() + 1);
      }
      row.push_back(v);
      p = end;
      if (*p == ',') ++p;
    }
    if (!out) out = std::make_unique<NpyRows>(out_path, static_cast<int64_t>(row.size()));
    out->row(row);
  }
  if (!out) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no feature rows", in.string());
  out->close();
}

PreprocessOptions node_split_files(const DatasetEntry& e, const LocateFile& locate, PreprocessOptions o) {
  const char* names[3] = {"train", "valid", "test"};
  for (int s = 0; s < 3; ++s) o.node_inputs.split_nodes[s] = locate(e.root + "/split/" + e.split + "/" + names[s] + ".csv.gz");
  return o;
}

PreprocessOptions convert_ogb_node(const DatasetEntry& e, const LocateFile& locate, const fs::path& work) {
  PreprocessOptions o;
  o.format = integer_pairs();
  int64_t nodes = first_number(locate(e.root + "/raw/num-node-list.csv.gz"));
  std::vector<bool> seen(static_cast<size_t>(nodes), false);
  OutFile edges(work / "edges.tsv");
  copy_edges(locate(e.root + "/raw/edge.csv.gz"), edges, nodes, seen);
  int64_t loops = add_self_loops(edges, seen);
  edges.close();
  if (loops > 0) logger().info("{}: {} node(s) without an edge get a self-loop", e.name, loops);
  o.train = work / "edges.tsv";
  write_features_from_csv(locate(e.root + "/raw/node-feat.csv.gz"), work / "features.npy");
  o.node_inputs.features = work / "features.npy";
  write_labels_from_csv(locate(e.root + "/raw/node-label.csv.gz"), work / "labels.tsv", nodes);
  o.node_inputs.labels = work / "labels.tsv";
  return node_split_files(e, locate, o);
}

PreprocessOptions convert_ogb_node_npz(const DatasetEntry& e, const LocateFile& locate, const fs::path& work) {
  PreprocessOptions o;
  o.format = integer_pairs();
  fs::path npz = work / "npz";
  extract_archive(locate(e.root + "/raw/data.npz"), npz);
  extract_archive(locate(e.root + "/raw/node-label.npz"), npz);
  NpyMap edge_index(npz / "edge_index.npy");
  NpyMap num_nodes(npz / "num_nodes_list.npy");
  if (num_nodes.meta().elements() < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: empty", (npz / "num_nodes_list.npy").string());
  int64_t nodes = num_nodes.int_at(0);
  if (nodes < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} nodes", (npz / "num_nodes_list.npy").string(), nodes);
  const NdArray& m = edge_index.meta();
  if (m.shape.size() != 2 || m.shape[0] != 2) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: edge_index must be 2 x E", (npz / "edge_index.npy").string());
  }
  int64_t count = m.shape[1];
  std::vector<bool> seen(static_cast<size_t>(nodes), false);
  OutFile edges(work / "edges.tsv");
  for (int64_t i = 0; i < count; ++i) {
    int64_t u = edge_index.int_at(i), v = edge_index.int_at(count + i);
    if (u < 0 || v < 0 || u >= nodes || v >= nodes) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: edge {} names a node outside 0..{}", (npz / "edge_index.npy").string(), i, nodes - 1);
    }
    seen[u] = seen[v] = true;
    edges.print("{}\t{}\n", u, v);
  }
  int64_t loops = add_self_loops(edges, seen);
  edges.close();
  if (loops > 0) logger().info("{}: {} node(s) without an edge get a self-loop", e.name, loops);
  o.train = work / "edges.tsv";
  o.node_inputs.features = npz / "node_feat.npy";
  NpyMap labels(npz / "node_label.npy");
  OutFile out(work / "labels.tsv");
  for (int64_t i = 0; i < std::min(nodes, labels.meta().elements()); ++i) {
    double v = labels.float_at(i);
    out.print("{}\t{}\n", i, std::isfinite(v) && v >= 0 ? static_cast<int64_t>(v) : -1);
  }
  out.close();
  o.node_inputs.labels = work / "labels.tsv";
  return node_split_files(e, locate, o);
}

// A scipy CSR matrix's (indptr, indices, data, rows, cols).
struct Csr {
  NdArray indptr, indices, data;
  int64_t rows = 0, cols = 0;
};

Csr read_csr(const fs::path& file) {
  PyRef v = load_pickle_file(file);
  const std::string where = file.string();
  if (v->kind != PyValue::Kind::kObject) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a {}, expected a scipy sparse matrix", where, v->kind_name());
  }
  Csr c;
  c.indptr = as_array(v->at("indptr", where), where);
  c.indices = as_array(v->at("indices", where), where);
  c.data = as_array(v->at("data", where), where);
  const PyValue* shape = v->find("_shape");
  if (shape == nullptr) shape = &v->at("shape", where);
  if (shape->items.size() != 2) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a matrix shape of {} dimensions", where, shape->items.size());
  c.rows = shape->items[0]->integer;
  c.cols = shape->items[1]->integer;
  if (c.indptr.elements() != c.rows + 1 || c.indices.elements() != c.data.elements()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: inconsistent CSR arrays", where);
  }
  return c;
}

NdArray read_array(const fs::path& file) {
  PyRef v = load_pickle_file(file);
  return as_array(*v, file.string());
}

// The class of a one-hot row, -1 for an all-zero row.
int64_t argmax_row(const NdArray& y, int64_t row, const std::string& where) {
  int64_t k = cols_of(y);
  for (int64_t j = 0; j < k; ++j) {
    if (y.float_at(row * k + j, where) > 0) return j;
  }
  return -1;
}

PreprocessOptions convert_planetoid(const DatasetEntry& e, const LocateFile& locate, const fs::path& work) {
  auto file = [&](const char* part) { return locate(e.prefix + "." + part); };
  Csr allx = read_csr(file("allx"));
  Csr tx = read_csr(file("tx"));
  NdArray ally = read_array(file("ally"));
  NdArray ty = read_array(file("ty"));
  NdArray y = read_array(file("y"));
  std::vector<int64_t> test_index;
  {
    LineReader r(file("test.index"));
    std::string_view line;
    while (r.next(line)) {
      if (!line.empty()) test_index.push_back(node_number(line, r.path(), r.line_number()));
    }
  }
  const std::string where = file("tx").string();
  if (static_cast<int64_t>(test_index.size()) != tx.rows || rows_of(ty) != tx.rows || rows_of(ally) != allx.rows ||
      tx.cols != allx.cols) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} test rows, {} test labels, {} test indices; {} and {} other rows", where,
         tx.rows, rows_of(ty), test_index.size(), allx.rows, rows_of(ally));
  }
  int64_t nodes = allx.rows;
  for (int64_t t : test_index) nodes = std::max(nodes, t + 1);
  // Row sources: node i < allx.rows is allx row i; test row j is node test_index[j].
  std::vector<std::pair<const Csr*, int64_t>> source(static_cast<size_t>(nodes), {nullptr, -1});
  std::vector<int64_t> label(static_cast<size_t>(nodes), -1);
  for (int64_t i = 0; i < allx.rows; ++i) {
    source[i] = {&allx, i};
    label[i] = argmax_row(ally, i, file("ally").string());
  }
  for (size_t j = 0; j < test_index.size(); ++j) {
    int64_t t = test_index[j];
    if (t < allx.rows) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: test node {} is also a row of allx", file("test.index").string(), t);
    source[t] = {&tx, static_cast<int64_t>(j)};
    label[t] = argmax_row(ty, static_cast<int64_t>(j), file("ty").string());
  }
  NpyRows features(work / "features.npy", allx.cols);
  std::vector<float> row;
  for (int64_t i = 0; i < nodes; ++i) {
    row.assign(static_cast<size_t>(allx.cols), 0.0f);
    if (const Csr* m = source[i].first) {
      int64_t r = source[i].second;
      for (int64_t k = m->indptr.int_at(r, where); k < m->indptr.int_at(r + 1, where); ++k) {
        int64_t col = m->indices.int_at(k, where);
        if (col < 0 || col >= m->cols) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a column index out of range", where);
        row[col] = static_cast<float>(m->data.float_at(k, where));
      }
    }
    features.row(row);
  }
  features.close();
  // The adjacency: node -> neighbours; each undirected edge once (u <= v).
  PyRef graph = load_pickle_file(file("graph"));
  if (graph->kind != PyValue::Kind::kDict) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a {}, expected a dict of adjacency lists", file("graph").string(), graph->kind_name());
  }
  std::vector<std::vector<int64_t>> adjacency(static_cast<size_t>(nodes));
  for (const auto& [key, value] : graph->entries) {
    if (key->kind != PyValue::Kind::kInt) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a {} key, expected node ids", file("graph").string(), key->kind_name());
    }
    int64_t u = key->integer;
    NdArray neighbours = as_array(*value, file("graph").string());
    for (int64_t k = 0; k < neighbours.elements(); ++k) {
      int64_t v = neighbours.int_at(k, file("graph").string());
      if (u < 0 || v < 0 || u >= nodes || v >= nodes) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: edge {} - {} names a node outside 0..{}", file("graph").string(), u, v, nodes - 1);
      }
      adjacency[std::min(u, v)].push_back(std::max(u, v));
    }
  }
  OutFile edges(work / "edges.tsv");
  std::vector<bool> seen(static_cast<size_t>(nodes), false);
  for (int64_t u = 0; u < nodes; ++u) {
    auto& list = adjacency[u];
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    for (int64_t v : list) {
      edges.print("{}\t{}\n", u, v);
      seen[u] = seen[v] = true;
    }
  }
  int64_t loops = add_self_loops(edges, seen);
  edges.close();
  if (loops > 0) logger().info("{}: {} node(s) without an edge get a self-loop", e.name, loops);
  OutFile labels(work / "labels.tsv");
  for (int64_t i = 0; i < nodes; ++i) labels.print("{}\t{}\n", i, label[i]);
  labels.close();
  // Planetoid's split: the first len(y) nodes train, the next 500 validate, the test index tests.
  int64_t train = rows_of(y);
  OutFile train_nodes(work / "train_nodes.txt"), valid_nodes(work / "valid_nodes.txt"), test_nodes(work / "test_nodes.txt");
  for (int64_t i = 0; i < train; ++i) train_nodes.print("{}\n", i);
  for (int64_t i = train; i < std::min(train + 500, allx.rows); ++i) valid_nodes.print("{}\n", i);
  std::vector<int64_t> sorted = test_index;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t t : sorted) test_nodes.print("{}\n", t);
  train_nodes.close();
  valid_nodes.close();
  test_nodes.close();
  PreprocessOptions o;
  o.format = integer_pairs();
  o.train = work / "edges.tsv";
  o.node_inputs.features = work / "features.npy";
  o.node_inputs.labels = work / "labels.tsv";
  o.node_inputs.split_nodes[0] = work / "train_nodes.txt";
  o.node_inputs.split_nodes[1] = work / "valid_nodes.txt";
  o.node_inputs.split_nodes[2] = work / "test_nodes.txt";
  return o;
}

}  // namespace

PreprocessOptions convert_dataset(const DatasetEntry& entry, const LocateFile& locate, const fs::path& work) {
  fs::create_directories(work);
  switch (entry.layout) {
    case DatasetLayout::kKg: return convert_kg(entry, locate);
    case DatasetLayout::kSnap: return convert_snap(entry, locate);
    case DatasetLayout::kOgbLink: return convert_ogb_link(entry, locate, work);
    case DatasetLayout::kOgbNode: return convert_ogb_node(entry, locate, work);
    case DatasetLayout::kOgbNodeNpz: return convert_ogb_node_npz(entry, locate, work);
    case DatasetLayout::kPlanetoid: return convert_planetoid(entry, locate, work);
  }
  fail(MARIUS_ERR_INTERNAL, "unknown layout");
}

}  // namespace marius
