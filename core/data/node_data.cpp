#include "core/data/node_data.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <algorithm>
#include <map>
#include <vector>

#include <ATen/ATen.h>

#include "core/data/binary_file.h"
#include "core/data/npy_format.h"
#include "core/data/id_dictionary.h"
#include "core/data/line_reader.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

constexpr char kMagic[8] = {'M', 'A', 'R', 'I', 'U', 'S', 'N', 'D'};
constexpr uint32_t kVersion = 1;
constexpr const char* kFeaturesFile = "features.bin";
constexpr const char* kLabelsFile = "labels.bin";
constexpr const char* kSplitFiles[3] = {"train_nodes.bin", "valid_nodes.bin", "test_nodes.bin"};
constexpr const char* kAllFiles[] = {"features.bin", "labels.bin", "train_nodes.bin", "valid_nodes.bin",
                                     "test_nodes.bin", nullptr};

// Kinds 5-8 are given negatives (given_negatives.h): int64 matrices.
bool is_matrix(uint32_t kind) { return kind == kNodeFeatures32 || kind == kNodeFeatures16 || (kind >= 5 && kind <= 8); }

// Reads a file written by write_node_file whole; checks it as read_node_file_header.
at::Tensor read_file(const fs::path& file, std::initializer_list<uint32_t> kinds, int64_t* cols_out, uint32_t* kind_out) {
  const NodeFileHeader h = read_node_file_header(file, kinds);
  BinaryReader in(file);
  in.seek(kNodeFileHeaderBytes);
  const at::ScalarType dtype = h.kind == kNodeFeatures32 ? at::kFloat
                               : h.kind == kNodeFeatures16 ? at::kHalf
                               : h.kind == kNodeLabels     ? at::kInt
                                                           : at::kLong;
  at::Tensor t = is_matrix(h.kind) ? at::empty({h.rows, h.cols}, dtype) : at::empty({h.rows}, dtype);
  in.read(t.data_ptr(), h.payload_bytes());
  *cols_out = h.cols;
  if (kind_out != nullptr) *kind_out = h.kind;
  return t;
}

std::string where(const LineReader& r) { return fmt::format("{}:{}", r.path().string(), r.line_number()); }

// The dense id of `name`, or an error at the reader's line.
int64_t node_of(const IdDictionary& nodes, std::string_view name, const LineReader& r) {
  int64_t id = nodes.find(name);
  if (id < 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: node '{}' does not occur in the edges (every node needs an edge; give an isolated node a self-loop)",
         where(r), std::string(name));
  }
  return id;
}

// Splits "node<TAB>rest" (a line without a tab is an error).
std::pair<std::string_view, std::string_view> key_and_rest(std::string_view line, const LineReader& r, const char* what) {
  size_t tab = line.find('\t');
  if (tab == std::string_view::npos) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: expected node<TAB>{}", where(r), what);
  return {line.substr(0, tab), line.substr(tab + 1)};
}

at::Tensor read_features_tsv(const fs::path& file, const IdDictionary& nodes) {
  const int64_t n = nodes.size();
  LineReader r(file);
  std::string_view line;
  std::vector<float> data;
  std::vector<int64_t> line_of(static_cast<size_t>(n), 0);
  int64_t dim = -1;
  std::vector<float> row;
  while (r.next(line)) {
    if (line.empty()) continue;
    auto [name, rest] = key_and_rest(line, r, "v1 v2 ... vD");
    const int64_t id = node_of(nodes, name, r);
    if (line_of[id] != 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: node '{}' already has features (line {})", where(r), std::string(name), line_of[id]);
    line_of[id] = r.line_number();
    row.clear();
    const char* p = rest.data();
    const char* end = rest.data() + rest.size();
    while (p < end) {
      while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) ++p;
      if (p == end) break;
      float v;
      auto [next, ec] = std::from_chars(p, end, v);
      if (ec != std::errc() || (next < end && *next != ' ' && *next != '\t' && *next != ',')) {
        const char* stop = p;
        while (stop < end && *stop != ' ' && *stop != '\t' && *stop != ',') ++stop;
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: feature {} '{}' is not a number", where(r), row.size() + 1, std::string(p, stop));
      }
      if (!std::isfinite(v)) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: feature {} is not finite", where(r), row.size() + 1);
      row.push_back(v);
      p = next;
    }
    if (dim < 0) {
      dim = static_cast<int64_t>(row.size());
      if (dim == 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no feature values", where(r));
      data.assign(static_cast<size_t>(n * dim), 0.0f);
    } else if (static_cast<int64_t>(row.size()) != dim) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} feature values, but earlier lines have {}", where(r), row.size(), dim);
    }
    std::copy(row.begin(), row.end(), data.begin() + id * dim);
  }
  if (dim < 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no feature rows", file.string());
  int64_t missing = 0, first = -1;
  for (int64_t v = 0; v < n; ++v) {
    if (line_of[v] == 0 && missing++ == 0) first = v;
  }
  if (missing > 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} node(s) of the edges have no feature row, the first is '{}'", file.string(), missing,
         std::string(nodes.name(first)));
  }
  return at::tensor(data, at::kFloat).view({n, dim});
}

// A 2-D little-endian float32 or float64 .npy (C order); row i is node "i".
at::Tensor read_features_npy(const fs::path& file, const IdDictionary& nodes) {
  BinaryReader in(file);
  const NpyHeader header = read_npy_header(in);
  const bool f4 = header.descr == "<f4", f8 = header.descr == "<f8";
  if (!f4 && !f8) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: only little-endian float32 or float64 arrays are read ({})", file.string(),
         header.descr);
  }
  if (header.shape.size() != 2 || header.shape[0] < 1 || header.shape[1] < 1) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: expected a 2-D array with rows and columns ({} dimensions)", file.string(),
         header.shape.size());
  }
  const int64_t rows = header.shape[0], cols = header.shape[1];
  const uint64_t bytes = static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols) * (f4 ? 4 : 8);
  at::Tensor raw = at::empty({rows, cols}, f4 ? at::kFloat : at::kDouble);
  in.read(raw.data_ptr(), bytes);
  at::Tensor values = raw.to(at::kFloat);
  if (!at::isfinite(values).all().item<bool>()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: holds NaN or infinite values", file.string());
  const int64_t n = nodes.size();
  std::vector<int64_t> row_of_node(static_cast<size_t>(n), -1);
  for (int64_t v = 0; v < n; ++v) {
    std::string_view name = nodes.name(v);
    int64_t i = -1;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), i);
    if (ec != std::errc() || p != name.data() + name.size() || i < 0 || i >= rows) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: node '{}' has no row (a .npy's row i is the node named \"i\"; it has {} rows)",
           file.string(), std::string(name), rows);
    }
    row_of_node[v] = i;
  }
  return values.index_select(0, at::tensor(row_of_node, at::kLong)).contiguous();
}

}  // namespace

uint64_t NodeFileHeader::value_bytes() const {
  return kind == kNodeFeatures32 || kind == kNodeLabels ? 4 : kind == kNodeFeatures16 ? 2 : 8;
}

uint64_t NodeFileHeader::payload_bytes() const {
  return static_cast<uint64_t>(rows) * (is_matrix(kind) ? static_cast<uint64_t>(cols) : 1) * value_bytes();
}

void write_node_file_header(BinaryWriter& out, uint32_t kind, int64_t rows, int64_t cols) {
  char header[kNodeFileHeaderBytes] = {};
  std::memcpy(header, kMagic, 8);
  std::memcpy(header + 8, &kVersion, 4);
  std::memcpy(header + 12, &kind, 4);
  std::memcpy(header + 16, &rows, 8);
  std::memcpy(header + 24, &cols, 8);
  out.write(header, sizeof header);
}

void write_node_file(const fs::path& file, uint32_t kind, int64_t rows, int64_t cols, const void* data) {
  BinaryWriter out(file);
  write_node_file_header(out, kind, rows, cols);
  NodeFileHeader h{kind, rows, cols};
  out.write(data, static_cast<size_t>(h.payload_bytes()));
  out.close(/*sync=*/true);
}

NodeFileHeader read_node_file_header(const fs::path& file, std::initializer_list<uint32_t> kinds) {
  BinaryReader in(file);
  char header[kNodeFileHeaderBytes];
  if (in.size() < kNodeFileHeaderBytes) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: truncated header", file.string());
  in.read(header, sizeof header);
  if (std::memcmp(header, kMagic, 8) != 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: not a marius node data file", file.string());
  uint32_t version;
  NodeFileHeader h;
  std::memcpy(&version, header + 8, 4);
  std::memcpy(&h.kind, header + 12, 4);
  std::memcpy(&h.rows, header + 16, 8);
  std::memcpy(&h.cols, header + 24, 8);
  if (version != kVersion) fail(MARIUS_ERR_VERSION_MISMATCH, "{}: node data version {}, this build reads {}", file.string(), version, kVersion);
  if (std::find(kinds.begin(), kinds.end(), h.kind) == kinds.end()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: unexpected kind {}", file.string(), h.kind);
  if (h.rows < 0 || h.cols < 0 || h.cols > (int64_t{1} << 24) || h.rows > (int64_t{1} << 40)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: corrupt header ({} rows, {} columns)", file.string(), h.rows, h.cols);
  }
  if (in.size() != kNodeFileHeaderBytes + h.payload_bytes()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} bytes, expected {} for {} rows", file.string(), in.size(),
         kNodeFileHeaderBytes + h.payload_bytes(), h.rows);
  }
  return h;
}

int64_t feature_width(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / kFeaturesFile, ec)) return 0;
  return read_node_file_header(dir / kFeaturesFile, {kNodeFeatures32, kNodeFeatures16}).cols;
}

const char* node_file_name(uint32_t kind, Split split) {
  return kind == kNodeLabels ? kLabelsFile : kind == kNodes ? kSplitFiles[static_cast<int>(split)] : kFeaturesFile;
}

const char* const* node_data_file_names() { return kAllFiles; }

NodeDataSummary write_node_data(const fs::path& dir, const NodeInputs& inputs, const IdDictionary& nodes) {
  const int64_t n = nodes.size();
  NodeDataSummary summary;
  if (!inputs.features.empty()) {
    at::Tensor f = inputs.features.extension() == ".npy" ? read_features_npy(inputs.features, nodes)
                                                          : read_features_tsv(inputs.features, nodes);
    if (inputs.float16) {
      at::Tensor h = f.to(at::kHalf).contiguous();
      write_node_file(dir / kFeaturesFile, kNodeFeatures16, n, f.size(1), h.data_ptr());
    } else {
      write_node_file(dir / kFeaturesFile, kNodeFeatures32, n, f.size(1), f.data_ptr());
    }
    summary.feature_dim = f.size(1);
  }
  std::vector<int32_t> labels;
  if (!inputs.labels.empty()) {
    labels.assign(static_cast<size_t>(n), -1);
    std::vector<int64_t> line_of(static_cast<size_t>(n), 0);
    LineReader r(inputs.labels);
    std::string_view line;
    int32_t classes = 0;
    while (r.next(line)) {
      if (line.empty()) continue;
      auto [name, rest] = key_and_rest(line, r, "class");
      const int64_t id = node_of(nodes, name, r);
      if (line_of[id] != 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: node '{}' already has a label (line {})", where(r), std::string(name), line_of[id]);
      line_of[id] = r.line_number();
      int64_t c = 0;
      auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), c);
      if (ec != std::errc() || p != rest.data() + rest.size()) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: class '{}' is not an integer", where(r), std::string(rest));
      }
      if (c < -1 || c >= (1 << 20)) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: class {} is out of range (-1 for unlabelled, else 0 .. 1048575)", where(r), c);
      labels[id] = static_cast<int32_t>(c);
      if (c >= 0) ++summary.labelled_nodes;
      classes = std::max(classes, static_cast<int32_t>(c + 1));
    }
    if (classes < 2) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: fewer than two classes", inputs.labels.string());
    write_node_file(dir / kLabelsFile, kNodeLabels, n, classes, labels.data());
    summary.num_classes = classes;
  }
  std::vector<std::pair<int, int64_t>> split_of(static_cast<size_t>(n), {-1, 0});  // split, line
  for (Split s : kSplits) {
    const fs::path& file = inputs.split_nodes[static_cast<int>(s)];
    if (file.empty()) continue;
    std::vector<int64_t> ids;
    LineReader r(file);
    std::string_view line;
    while (r.next(line)) {
      if (line.empty()) continue;
      const int64_t id = node_of(nodes, line, r);
      auto& [split, at_line] = split_of[id];
      if (split >= 0) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: node '{}' is already in {} (line {})", where(r), std::string(line),
             inputs.split_nodes[split].string(), at_line);
      }
      if (!labels.empty() && labels[id] < 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: node '{}' has no label", where(r), std::string(line));
      split = static_cast<int>(s);
      at_line = r.line_number();
      ids.push_back(id);
    }
    write_node_file(dir / kSplitFiles[static_cast<int>(s)], kNodes, static_cast<int64_t>(ids.size()), 1, ids.data());
    summary.split_nodes[static_cast<int>(s)] = static_cast<int64_t>(ids.size());
  }
  return summary;
}

NodeData NodeData::open(const fs::path& dir, int64_t num_nodes, bool load_features) {
  NodeData d;
  std::error_code ec;
  int64_t cols = 0;
  auto rows_ok = [&](const at::Tensor& t, const char* file) {
    if (t.size(0) != num_nodes) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} rows, the dataset has {} nodes", (dir / file).string(), t.size(0), num_nodes);
  };
  if (fs::exists(dir / kFeaturesFile, ec)) {
    if (load_features) {
      d.features_ = read_file(dir / kFeaturesFile, {kNodeFeatures32, kNodeFeatures16}, &cols, nullptr).to(at::kFloat);
      rows_ok(d.features_, kFeaturesFile);
      d.feature_dim_ = d.features_.size(1);
    } else {
      const NodeFileHeader h = read_node_file_header(dir / kFeaturesFile, {kNodeFeatures32, kNodeFeatures16});
      if (h.rows != num_nodes) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} rows, the dataset has {} nodes", (dir / kFeaturesFile).string(), h.rows, num_nodes);
      d.feature_dim_ = h.cols;
    }
  }
  if (fs::exists(dir / kLabelsFile, ec)) {
    d.labels_ = read_file(dir / kLabelsFile, {kNodeLabels}, &cols, nullptr).to(at::kLong);
    rows_ok(d.labels_, kLabelsFile);
    d.num_classes_ = cols;
    if (d.labels_.numel() > 0 && (d.labels_.min().item<int64_t>() < -1 || d.labels_.max().item<int64_t>() >= cols)) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a label outside [-1, {})", (dir / kLabelsFile).string(), cols);
    }
  }
  for (Split s : kSplits) {
    const fs::path file = dir / kSplitFiles[static_cast<int>(s)];
    if (fs::exists(file, ec)) {
      d.splits_[static_cast<int>(s)] = read_file(file, {kNodes}, &cols, nullptr);
      const at::Tensor& t = d.splits_[static_cast<int>(s)];
      if (t.numel() > 0 && (t.min().item<int64_t>() < 0 || t.max().item<int64_t>() >= num_nodes)) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a node outside [0, {})", file.string(), num_nodes);
      }
    } else {
      d.splits_[static_cast<int>(s)] = at::empty({0}, at::kLong);
    }
  }
  return d;
}

}  // namespace marius
