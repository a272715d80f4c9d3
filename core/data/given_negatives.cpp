#include "core/data/given_negatives.h"

#include <vector>

#include <ATen/ATen.h>

#include "core/data/binary_file.h"
#include "core/data/id_dictionary.h"
#include "core/data/line_reader.h"
#include "core/data/node_data.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

constexpr const char* kFiles[] = {"train_negatives.bin", "valid_negatives.bin", "test_negatives.bin", nullptr};

// node_data.h's file kinds for the layouts.
enum : uint32_t { kShared = 5, kTails = 6, kHeads = 7, kBoth = 8 };

uint32_t kind_of(NegativesLayout layout) {
  switch (layout) {
    case NegativesLayout::kShared: return kShared;
    case NegativesLayout::kTails: return kTails;
    case NegativesLayout::kHeads: return kHeads;
    case NegativesLayout::kBoth: return kBoth;
  }
  return kShared;
}

NegativesLayout layout_of(uint32_t kind) {
  return kind == kTails ? NegativesLayout::kTails
         : kind == kHeads ? NegativesLayout::kHeads
         : kind == kBoth  ? NegativesLayout::kBoth
                          : NegativesLayout::kShared;
}

int64_t node_id(const IdDictionary& nodes, std::string_view name, const fs::path& file, int64_t line) {
  const int64_t id = nodes.find(name);
  if (id < 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: node '{}' is not in the graph (negatives must name nodes the edges name)",
         file.string(), line, std::string(name));
  }
  return id;
}

int64_t write_shared(const fs::path& out, const fs::path& source, const EdgeListFormat& format,
                     const IdDictionary& nodes, const IdDictionary& relations) {
  EdgeListReader reader(source, format);
  std::vector<int64_t> values;
  EdgeFields e;
  while (reader.next(e)) {
    const int64_t line = reader.line_number();
    values.push_back(node_id(nodes, e.head, source, line));
    int64_t r = 0;
    if (!e.relation.empty()) {
      r = relations.find(e.relation);
      if (r < 0) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: relation '{}' is not in the graph", source.string(), line,
             std::string(e.relation));
      }
    }
    values.push_back(r);
    values.push_back(node_id(nodes, e.tail, source, line));
  }
  const int64_t n = static_cast<int64_t>(values.size() / 3);
  if (n == 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no negative edges", source.string());
  write_node_file(out, kShared, n, 3, values.data());
  return n;
}

int64_t write_per_edge(const fs::path& out, const fs::path& source, NegativesLayout layout, const IdDictionary& nodes,
                       int64_t split_edges) {
  LineReader lines(source);
  std::vector<int64_t> values;
  int64_t width = -1, rows = 0;
  std::string_view line;
  while (lines.next(line)) {
    if (line.empty() || line.front() == '#') continue;
    const int64_t before = static_cast<int64_t>(values.size());
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == ',')) ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != ',') ++j;
      if (j > i) values.push_back(node_id(nodes, line.substr(i, j - i), source, lines.line_number()));
      i = j;
    }
    const int64_t got = static_cast<int64_t>(values.size()) - before;
    if (got == 0) continue;
    if (width < 0) width = got;
    if (got != width) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: {} candidates, but the first line has {} (every edge needs as many)",
           source.string(), lines.line_number(), got, width);
    }
    if (layout == NegativesLayout::kBoth && got % 2 != 0) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: {} candidates: layout `both` needs M heads then M tails (an even count)",
           source.string(), lines.line_number(), got);
    }
    if (++rows > split_edges) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: more lines than the split's {} edges (one line per edge, in order)",
           source.string(), lines.line_number(), split_edges);
    }
  }
  if (rows != split_edges) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} lines of candidates for a split of {} edges (one line per edge, in order)",
         source.string(), rows, split_edges);
  }
  write_node_file(out, kind_of(layout), rows, width, values.data());
  return layout == NegativesLayout::kBoth ? width / 2 : width;
}

}  // namespace

const char* negatives_layout_name(NegativesLayout layout) {
  switch (layout) {
    case NegativesLayout::kShared: return "shared";
    case NegativesLayout::kTails: return "tails";
    case NegativesLayout::kHeads: return "heads";
    case NegativesLayout::kBoth: return "both";
  }
  return "shared";
}

NegativesLayout parse_negatives_layout(const std::string& name, const std::string& key) {
  for (NegativesLayout l : {NegativesLayout::kShared, NegativesLayout::kTails, NegativesLayout::kHeads, NegativesLayout::kBoth}) {
    if (name == negatives_layout_name(l)) return l;
  }
  fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: \"{}\" is not a layout; expected shared, tails, heads or both", key, name);
}

std::string given_negatives_file_name(Split split) { return kFiles[static_cast<int>(split)]; }

const char* const* given_negatives_file_names() { return kFiles; }

int64_t write_given_negatives(const fs::path& dir, Split split, const fs::path& source, NegativesLayout layout,
                              const EdgeListFormat& format, const IdDictionary& nodes, const IdDictionary& relations,
                              int64_t split_edges) {
  const fs::path out = dir / given_negatives_file_name(split);
  if (layout == NegativesLayout::kShared) return write_shared(out, source, format, nodes, relations);
  if (split_edges == 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: per-edge negatives for the {} split, which has no edges", source.string(),
         split_name(split));
  }
  return write_per_edge(out, source, layout, nodes, split_edges);
}

int64_t GivenNegatives::count() const {
  if (layout == NegativesLayout::kShared) return edges.size(0);
  return (tails.defined() ? tails : heads).size(1);
}

std::optional<GivenNegatives> GivenNegatives::open(const fs::path& dir, Split split, const DatasetInfo& info) {
  const fs::path file = dir / given_negatives_file_name(split);
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  const NodeFileHeader h = read_node_file_header(file, {kShared, kTails, kHeads, kBoth});
  GivenNegatives g;
  g.layout = layout_of(h.kind);
  const int64_t split_edges = info.num_edges[static_cast<int>(split)];
  if (g.layout == NegativesLayout::kShared ? h.cols != 3 : h.rows != split_edges || h.cols < 1) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} x {} negatives do not fit the {} split's {} edges (layout {})",
         file.string(), h.rows, h.cols, split_name(split), split_edges, negatives_layout_name(g.layout));
  }
  at::Tensor values = at::empty({h.rows, h.cols}, at::kLong);
  BinaryReader in(file);
  in.seek(kNodeFileHeaderBytes);
  in.read(values.data_ptr(), static_cast<size_t>(h.payload_bytes()));
  auto check = [&](const at::Tensor& ids, int64_t bound, const char* what) {
    if (ids.numel() > 0 && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= bound)) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a {} id outside [0, {}) (a corrupt file)", file.string(), what, bound);
    }
  };
  switch (g.layout) {
    case NegativesLayout::kShared:
      g.edges = values;
      check(values.select(1, 0), info.num_nodes, "node");
      check(values.select(1, 1), info.num_relations, "relation");
      check(values.select(1, 2), info.num_nodes, "node");
      return g;
    case NegativesLayout::kTails: g.tails = values; break;
    case NegativesLayout::kHeads: g.heads = values; break;
    case NegativesLayout::kBoth:
      g.heads = values.narrow(1, 0, h.cols / 2).contiguous();
      g.tails = values.narrow(1, h.cols / 2, h.cols / 2).contiguous();
      break;
  }
  check(values, info.num_nodes, "node");
  return g;
}

}  // namespace marius
