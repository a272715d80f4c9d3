// Planetoid's files (Yang et al., 2016): Python 2 pickles of scipy CSR
// features, one-hot labels and a defaultdict adjacency, plus test.index.
#include <algorithm>

#include "core/data/line_reader.h"
#include "core/datasets/converter_support.h"
#include "core/logging.h"

namespace marius {

namespace fs = std::filesystem;

namespace {

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

}  // namespace

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
  BinaryWriter edges(work / "edges.tsv");
  std::vector<bool> seen(static_cast<size_t>(nodes), false);
  for (int64_t u = 0; u < nodes; ++u) {
    auto& list = adjacency[u];
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    for (int64_t v : list) {
      print(edges, "{}\t{}\n", u, v);
      seen[u] = seen[v] = true;
    }
  }
  int64_t loops = add_self_loops(edges, seen);
  edges.close(false);
  if (loops > 0) logger().info("{}: {} node(s) without an edge get a self-loop", e.name, loops);
  BinaryWriter labels(work / "labels.tsv");
  for (int64_t i = 0; i < nodes; ++i) print(labels, "{}\t{}\n", i, label[i]);
  labels.close(false);
  // Planetoid's split: the first len(y) nodes train, the next 500 validate, the test index tests.
  int64_t train = rows_of(y);
  BinaryWriter train_nodes(work / "train_nodes.txt"), valid_nodes(work / "valid_nodes.txt"), test_nodes(work / "test_nodes.txt");
  for (int64_t i = 0; i < train; ++i) print(train_nodes, "{}\n", i);
  for (int64_t i = train; i < std::min(train + 500, allx.rows); ++i) print(valid_nodes, "{}\n", i);
  std::vector<int64_t> sorted = test_index;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t t : sorted) print(test_nodes, "{}\n", t);
  train_nodes.close(false);
  valid_nodes.close(false);
  test_nodes.close(false);
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

}  // namespace marius
