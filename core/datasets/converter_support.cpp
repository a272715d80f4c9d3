#include "core/datasets/converter_support.h"

#include <cmath>

#include "core/data/line_reader.h"

namespace marius {

namespace fs = std::filesystem;

// OGB's label value as a class: a whole number >= 0, or -1 (unlabelled: NaN).
int64_t class_of(double label) { return std::isfinite(label) && label >= 0 ? static_cast<int64_t>(label) : -1; }

// Row `i` of an n x m array as m space-separated ids (a per-edge candidate list).
void print_row(BinaryWriter& out, const NdArray& a, int64_t i, int64_t m, const std::string& where, bool first) {
  for (int64_t j = 0; j < m; ++j) print(out, first && j == 0 ? "{}" : " {}", a.int_at(i * m + j, where));
}

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
void copy_edges(const fs::path& in, BinaryWriter& out, int64_t nodes, std::vector<bool>& seen) {
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
    print(out, "{}\t{}\n", u, v);
  }
}

// A self-loop for each node no edge names; returns how many.
int64_t add_self_loops(BinaryWriter& out, const std::vector<bool>& seen) {
  int64_t loops = 0;
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) {
      print(out, "{}\t{}\n", i, i);
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

}  // namespace marius
