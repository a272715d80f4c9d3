// OGB's archives: link-prediction splits (torch.save'd dicts) and node-property
// sets (CSV or the binary npz release), to preprocess's inputs.
#include <cmath>
#include <memory>

#include "core/data/line_reader.h"
#include "core/datasets/archive.h"
#include "core/datasets/converter_support.h"
#include "core/logging.h"

namespace marius {

namespace fs = std::filesystem;

namespace {

// One split file of an OGB link set, written as edges (and negatives) in TSV.
void write_link_split(const DatasetEntry& e, const fs::path& pt, const std::string& split, const fs::path& work,
                      PreprocessOptions& o) {
  PyRef dict = load_torch_file(pt);
  const std::string where = pt.string();
  if (dict->kind != PyValue::Kind::kDict) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a {}, expected a dict", where, dict->kind_name());
  auto array = [&](const char* key) { return as_array(dict->at(key, where), where + " '" + key + "'"); };
  fs::path edges_path = work / (split + ".tsv");
  BinaryWriter edges(edges_path);
  const bool evaluated = split != "train";
  if (e.keys == "edge") {
    NdArray edge = array("edge");
    check_rows(edge, rows_of(edge), 2, where + " 'edge'");
    for (int64_t i = 0; i < rows_of(edge); ++i) print(edges, "{}\t{}\n", edge.int_at(2 * i, where), edge.int_at(2 * i + 1, where));
    if (evaluated) {
      NdArray neg = array("edge_neg");
      check_rows(neg, rows_of(neg), 2, where + " 'edge_neg'");
      fs::path neg_path = work / (split + "_negatives.tsv");
      BinaryWriter out(neg_path);
      for (int64_t i = 0; i < rows_of(neg); ++i) print(out, "{}\t{}\n", neg.int_at(2 * i, where), neg.int_at(2 * i + 1, where));
      out.close(false);
      o.negatives[split == "valid" ? 1 : 2] = neg_path;
      o.negatives_layout = NegativesLayout::kShared;
    }
  } else if (e.keys == "source_target") {
    NdArray source = array("source_node");
    NdArray target = array("target_node");
    int64_t n = rows_of(source);
    check_rows(target, n, 0, where + " 'target_node'");
    for (int64_t i = 0; i < n; ++i) print(edges, "{}\t{}\n", source.int_at(i, where), target.int_at(i, where));
    if (evaluated) {
      NdArray neg = array("target_node_neg");
      check_rows(neg, n, 0, where + " 'target_node_neg'");
      int64_t m = cols_of(neg);
      fs::path neg_path = work / (split + "_negatives.txt");
      BinaryWriter out(neg_path);
      for (int64_t i = 0; i < n; ++i) {
        print_row(out, neg, i, m, where, true);
        out.write("\n", 1);
      }
      out.close(false);
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
      print(edges, "{}\t{}\t{}\n", head.int_at(i, where), relation.int_at(i, where), tail.int_at(i, where));
    }
    if (evaluated) {
      NdArray heads = array("head_neg");
      NdArray tails = array("tail_neg");
      check_rows(heads, n, 0, where + " 'head_neg'");
      check_rows(tails, n, cols_of(heads), where + " 'tail_neg'");
      int64_t m = cols_of(heads);
      fs::path neg_path = work / (split + "_negatives.txt");
      BinaryWriter out(neg_path);
      for (int64_t i = 0; i < n; ++i) {
        print_row(out, heads, i, m, where, true);
        print_row(out, tails, i, m, where, false);
        out.write("\n", 1);
      }
      out.close(false);
      o.negatives[split == "valid" ? 1 : 2] = neg_path;
      o.negatives_layout = NegativesLayout::kBoth;
    }
  }
  edges.close(false);
  (split == "train" ? o.train : split == "valid" ? o.valid : o.test) = edges_path;
}

}  // namespace

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

namespace {

// OGB's node label file: one number per line (a float, "nan" for none), row i is node i.
void write_labels_from_csv(const fs::path& in, const fs::path& out_path, int64_t nodes) {
  LineReader r(in);
  BinaryWriter out(out_path);
  std::string_view line;
  int64_t i = 0;
  while (r.next(line)) {
    if (line.empty()) continue;
    if (i >= nodes) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: more label lines than the {} nodes", in.string(), r.line_number(), nodes);
    double v = std::strtod(std::string(line).c_str(), nullptr);
    print(out, "{}\t{}\n", i, class_of(v));
    ++i;
  }
  out.close(false);
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

}  // namespace

PreprocessOptions convert_ogb_node(const DatasetEntry& e, const LocateFile& locate, const fs::path& work) {
  PreprocessOptions o;
  o.format = integer_pairs();
  int64_t nodes = first_number(locate(e.root + "/raw/num-node-list.csv.gz"));
  std::vector<bool> seen(static_cast<size_t>(nodes), false);
  BinaryWriter edges(work / "edges.tsv");
  copy_edges(locate(e.root + "/raw/edge.csv.gz"), edges, nodes, seen);
  int64_t loops = add_self_loops(edges, seen);
  edges.close(false);
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
  BinaryWriter edges(work / "edges.tsv");
  for (int64_t i = 0; i < count; ++i) {
    int64_t u = edge_index.int_at(i), v = edge_index.int_at(count + i);
    if (u < 0 || v < 0 || u >= nodes || v >= nodes) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: edge {} names a node outside 0..{}", (npz / "edge_index.npy").string(), i, nodes - 1);
    }
    seen[u] = seen[v] = true;
    print(edges, "{}\t{}\n", u, v);
  }
  int64_t loops = add_self_loops(edges, seen);
  edges.close(false);
  if (loops > 0) logger().info("{}: {} node(s) without an edge get a self-loop", e.name, loops);
  o.train = work / "edges.tsv";
  o.node_inputs.features = npz / "node_feat.npy";
  NpyMap labels(npz / "node_label.npy");
  BinaryWriter out(work / "labels.tsv");
  for (int64_t i = 0; i < std::min(nodes, labels.meta().elements()); ++i) {
    double v = labels.float_at(i);
    print(out, "{}\t{}\n", i, class_of(v));
  }
  out.close(false);
  o.node_inputs.labels = work / "labels.tsv";
  return node_split_files(e, locate, o);
}

}  // namespace marius
