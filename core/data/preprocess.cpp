#include "core/data/preprocess.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/data/adjacency_index.h"
#include "core/data/binary_file.h"
#include "core/data/bucket_writer.h"
#include "core/data/dataset_format.h"
#include "core/data/dataset_writer.h"
#include "core/data/id_dictionary.h"
#include "core/data/partitioning.h"
#include "core/data/metis_partitioning.h"
#include "core/data/seeded_random.h"
#include "core/data/staging_dir.h"
#include "core/error.h"
#include "core/logging.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

constexpr size_t kChunkEdges = size_t{1} << 16;

// ---- options ---------------------------------------------------------------------------

void check_options(const PreprocessOptions& o) {
  if (o.output.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "--output: required (the dataset directory to write)");
  const bool files = !o.train.empty();
  const bool single = !o.input.empty();
  if (files == single) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "give either --train FILE (with optional --valid FILE and --test FILE) or --input FILE with --split "
         "TRAIN,VALID,TEST");
  }
  if (single && !o.split) fail(MARIUS_ERR_INVALID_ARGUMENT, "--input needs --split TRAIN,VALID,TEST (e.g. 0.9,0.05,0.05)");
  if (single && (!o.valid.empty() || !o.test.empty())) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--valid and --test go with --train; --input is split by --split");
  }
  if (files && o.split) fail(MARIUS_ERR_INVALID_ARGUMENT, "--split goes with --input; --train files are the splits");
  if (o.id_bytes != 0 && o.id_bytes != 8) fail(MARIUS_ERR_INVALID_ARGUMENT, "id width {}: expected 0 or 8", o.id_bytes);
  check_partitions(o.partitions, -1);  // against the node count after pass 1
  if (!o.negatives[static_cast<int>(Split::kTrain)].empty()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "given negatives are for the valid and test splits only");
  }
  if (!o.input.empty() && (!o.negatives[1].empty() || !o.negatives[2].empty()) &&
      o.negatives_layout != NegativesLayout::kShared) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "per-edge negatives (--negatives-layout {}) follow the edges of --valid and "
         "--test files; --input is split at random", negatives_layout_name(o.negatives_layout));
  }
}

// ---- pass 1: text to dense ids in temporary files ---------------------------------------

struct TempEdges {
  fs::path file;    // int64 triples (head, relation, tail), dense ids in insertion numbering
  int64_t count = 0;
};

// Reads `source`, growing the dictionaries; `format` becomes the detected one,
// so every later file is held to the layout of the first.
TempEdges read_edges(const fs::path& source, const fs::path& temp, EdgeListFormat& format, IdDictionary& nodes,
                     IdDictionary& relations) {
  EdgeListReader reader(source, format);
  BinaryWriter out(temp);
  std::vector<int64_t> chunk;
  chunk.reserve(3 * kChunkEdges);
  EdgeFields edge;
  while (reader.next(edge)) {
    chunk.push_back(nodes.insert(edge.head));
    chunk.push_back(edge.relation.empty() ? 0 : relations.insert(edge.relation));  // empty: a plain graph
    chunk.push_back(nodes.insert(edge.tail));
    if (chunk.size() == 3 * kChunkEdges) {
      out.write(chunk.data(), chunk.size() * sizeof(int64_t));
      chunk.clear();
    }
  }
  out.write(chunk.data(), chunk.size() * sizeof(int64_t));
  out.close(false);
  if (reader.edges_read() == 0 && reader.line_number() == 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no edges (the file is empty)", source.string());
  }
  if (reader.edges_read() == 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no edges (every line is {})", source.string(),
         format.header ? "blank, a comment or the header" : "blank or a comment");
  }
  format = reader.format();
  return {temp, reader.edges_read()};
}

// Calls visit(head, relation, tail) for every edge of a temporary file, in order.
template <class Visit>
void for_each_edge(const TempEdges& edges, Visit&& visit) {
  BinaryReader in(edges.file);
  std::vector<int64_t> chunk(3 * kChunkEdges);
  int64_t left = edges.count;
  while (left > 0) {
    size_t n = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(kChunkEdges)));
    in.read(chunk.data(), 3 * n * sizeof(int64_t));
    for (size_t i = 0; i < 3 * n; i += 3) visit(chunk[i], chunk[i + 1], chunk[i + 2]);
    left -= static_cast<int64_t>(n);
  }
}

// ---- renumbering and the final edge files ------------------------------------------------

// Insertion-order ids to final ids; an empty map is the identity.
struct IdMap {
  std::vector<int64_t> nodes;
  std::vector<int64_t> relations;
  int64_t node(int64_t id) const { return nodes.empty() ? id : nodes[static_cast<size_t>(id)]; }
  int64_t relation(int64_t id) const { return relations.empty() ? id : relations[static_cast<size_t>(id)]; }
};

// Writes edges, already mapped to final ids, to the splits' files (train edges
// to their buckets), counting training degrees.
class SplitWriter {
 public:
  SplitWriter(const fs::path& dir, int32_t id_bytes, const NodePartitioning& partitioning,
              std::vector<int64_t> bucket_offsets)
      : degrees_(static_cast<size_t>(partitioning.num_nodes()), 0),
        train_(dir / edge_file_name(Split::kTrain), id_bytes, partitioning, std::move(bucket_offsets)),
        valid_(dir / edge_file_name(Split::kValid), id_bytes),
        test_(dir / edge_file_name(Split::kTest), id_bytes) {}

  void add(Split split, int64_t head, int64_t relation, int64_t tail) {
    switch (split) {
      case Split::kTrain:
        train_.append(head, relation, tail);
        ++degrees_[static_cast<size_t>(head)];
        ++degrees_[static_cast<size_t>(tail)];
        break;
      case Split::kValid: valid_.append(head, relation, tail); break;
      case Split::kTest: test_.append(head, relation, tail); break;
    }
  }

  // Closes the edge files; returns the training degrees.
  const std::vector<int64_t>& finish(DatasetInfo& info) {
    train_.close();
    valid_.close();
    test_.close();
    info.num_edges[static_cast<int>(Split::kValid)] = valid_.count();
    info.num_edges[static_cast<int>(Split::kTest)] = test_.count();
    return degrees_;
  }

 private:
  std::vector<int64_t> degrees_;
  BucketedEdgeWriter train_;
  EdgeFileWriter valid_;
  EdgeFileWriter test_;
};

// Draws each edge's split so that the sizes are exact: edge i goes to a split
// with probability (its remaining quota) / (edges remaining).
class RandomSplitter {
 public:
  RandomSplitter(int64_t total, const std::array<double, 3>& fractions, uint64_t seed) : random_(seed) {
    quota_[1] = std::llround(static_cast<double>(total) * fractions[1]);
    quota_[2] = std::min<int64_t>(std::llround(static_cast<double>(total) * fractions[2]), total - quota_[1]);
    quota_[0] = total - quota_[1] - quota_[2];
    if (quota_[0] < 1) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--split {},{},{}: leaves no training edges out of {}", fractions[0],
           fractions[1], fractions[2], total);
    }
    left_ = total;
    train_ = quota_[0];
  }

  int64_t train_edges() const { return train_; }

  Split next() {
    auto u = static_cast<int64_t>(random_.below(static_cast<uint64_t>(left_--)));
    int s = u < quota_[0] ? 0 : u < quota_[0] + quota_[1] ? 1 : 2;
    --quota_[s];
    return static_cast<Split>(s);
  }

 private:
  SeededRandom random_;
  int64_t quota_[3] = {0, 0, 0};
  int64_t left_ = 0;
  int64_t train_ = 0;
};

// Calls visit(split, head, relation, tail) for every edge of the temporary
// files, in order: each file's edges in files mode, else the one input's edges
// with their random split (the same split on every call).
template <class Visit>
void for_each_input_edge(const PreprocessOptions& options, const std::vector<TempEdges>& inputs, Visit&& visit) {
  if (!options.input.empty()) {
    RandomSplitter splitter(inputs[0].count, *options.split, options.seed);
    for_each_edge(inputs[0], [&](int64_t h, int64_t r, int64_t t) { visit(splitter.next(), h, r, t); });
    return;
  }
  for (Split s : kSplits) {
    const TempEdges& edges = inputs[static_cast<size_t>(s)];
    if (edges.count > 0) for_each_edge(edges, [&](int64_t h, int64_t r, int64_t t) { visit(s, h, r, t); });
  }
}

// The bucket offsets of the training edges (p * p + 1 entries): with p > 1 a
// counting pass over the inputs; with p = 1 just {0, training edges}.
std::vector<int64_t> bucket_offsets(const PreprocessOptions& options, const std::vector<TempEdges>& inputs,
                                    const NodePartitioning& partitioning, const IdMap& map) {
  std::vector<int64_t> offsets(static_cast<size_t>(partitioning.num_buckets()) + 1, 0);
  if (partitioning.num_partitions() == 1) {
    offsets[1] = options.input.empty()
                     ? inputs[static_cast<size_t>(Split::kTrain)].count
                     : RandomSplitter(inputs[0].count, *options.split, options.seed).train_edges();
    return offsets;
  }
  for_each_input_edge(options, inputs, [&](Split split, int64_t h, int64_t, int64_t t) {
    if (split == Split::kTrain) ++offsets[static_cast<size_t>(partitioning.bucket_of(map.node(h), map.node(t))) + 1];
  });
  for (size_t b = 1; b < offsets.size(); ++b) offsets[b] += offsets[b - 1];
  return offsets;
}

// A seeded random permutation of 0..n-1 (Fisher-Yates by SeededRandom(seed)).
std::vector<int64_t> random_permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> permutation(static_cast<size_t>(n));
  for (size_t i = 0; i < permutation.size(); ++i) permutation[i] = static_cast<int64_t>(i);
  SeededRandom random(seed);
  random.shuffle(permutation);
  return permutation;
}

bool fits_int32(int64_t count) { return count - 1 <= INT32_MAX; }

}  // namespace

std::array<double, 3> parse_split(const std::string& text) {
  std::array<double, 3> out{};
  auto bad = [&](const std::string& why) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--split \"{}\": {}; expected three fractions TRAIN,VALID,TEST such as "
         "0.9,0.05,0.05", text, why);
  };
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    size_t comma = text.find(',', start);
    if ((comma == std::string::npos) != (i == 2)) bad("not three comma-separated values");
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    out[static_cast<size_t>(i)] = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !std::isfinite(out[static_cast<size_t>(i)])) bad("\"" + item + "\" is not a number");
    if (out[static_cast<size_t>(i)] < 0) bad("fractions must not be negative");
    start = comma + 1;
  }
  if (std::abs(out[0] + out[1] + out[2] - 1.0) > 1e-6) bad("the fractions must sum to 1");
  if (out[0] <= 0) bad("the training fraction must be above 0");
  return out;
}

PreprocessResult preprocess(const PreprocessOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  check_options(options);
  StagingDir staging(options.output, dataset_replace_refusal, "a marius dataset");
  const fs::path& dir = staging.path();

  // Pass 1.
  PreprocessResult result;
  result.format = options.format;
  IdDictionary nodes;
  IdDictionary relations;
  std::vector<TempEdges> inputs;  // by split in files mode; one in split mode
  if (!options.input.empty()) {
    inputs.push_back(read_edges(options.input, dir / "pass1-input.bin", result.format, nodes, relations));
  } else {
    const fs::path* sources[3] = {&options.train, &options.valid, &options.test};
    for (Split s : kSplits) {
      const fs::path& source = *sources[static_cast<int>(s)];
      if (source.empty()) {
        inputs.push_back({});
      } else {
        fs::path temp = dir / (std::string("pass1-") + split_name(s) + ".bin");
        inputs.push_back(read_edges(source, temp, result.format, nodes, relations));
      }
    }
  }

  DatasetInfo& info = result.info;
  info.has_relations = result.format.columns.has_relations();
  if (!info.has_relations) relations.insert("");  // the one implicit relation of a plain graph
  info.num_nodes = nodes.size();
  info.num_relations = relations.size();
  check_partitions(options.partitions, info.num_nodes);
  info.num_partitions = options.partitions;
  IdMap map;
  if (result.format.ids == IdKind::kInteger) {
    map.nodes = nodes.sort_numerically();
    if (info.has_relations) map.relations = relations.sort_numerically();
  }
  info.partitioner = info.num_partitions > 1 ? options.partitioner : Partitioner::kRandom;
  if (info.num_partitions > 1) {
    std::vector<int64_t> permutation;
    if (options.partitioner == Partitioner::kMetis) {
      const EdgeSource train_edges = [&](const std::function<void(int64_t, int64_t)>& visit) {
        for_each_input_edge(options, inputs, [&](Split split, int64_t h, int64_t, int64_t t) {
          if (split == Split::kTrain) visit(map.node(h), map.node(t));
        });
      };
      MetisPartitioning metis = metis_partitioning(info.num_nodes, info.num_partitions, train_edges, options.seed);
      logger().info("METIS: {} partitions of {} nodes; {:.1f}% of the {} training edges within a partition "
                    "(random: {:.1f}%); {} nodes moved to balance the sizes", info.num_partitions, info.num_nodes,
                    100 * metis.internal_fraction(), metis.edges, 100.0 / static_cast<double>(info.num_partitions),
                    metis.moved);
      result.internal_edge_fraction = metis.internal_fraction();
      permutation = std::move(metis.new_id);
    } else {
      permutation = random_permutation(info.num_nodes, options.seed);
    }
    nodes.renumber(permutation);
    if (map.nodes.empty()) {
      map.nodes = std::move(permutation);
    } else {
      for (int64_t& id : map.nodes) id = permutation[static_cast<size_t>(id)];
    }
  }
  const bool narrow = options.id_bytes != 8 && fits_int32(info.num_nodes) && fits_int32(info.num_relations);
  info.id_bytes = narrow ? 4 : 8;
  const NodePartitioning partitioning(info.num_nodes, info.num_partitions);

  // Pass 2 (p > 1 only): bucket sizes. Pass 3: the final files.
  BucketIndex buckets{partitioning.offsets(), bucket_offsets(options, inputs, partitioning, map)};
  info.num_edges[static_cast<int>(Split::kTrain)] = buckets.bucket_offsets.back();
  SplitWriter writer(dir, info.id_bytes, partitioning, buckets.bucket_offsets);
  for_each_input_edge(options, inputs, [&](Split split, int64_t h, int64_t r, int64_t t) {
    writer.add(split, map.node(h), map.relation(r), map.node(t));
  });
  const std::vector<int64_t>& degrees = writer.finish(info);
  for (const TempEdges& edges : inputs) {
    if (!edges.file.empty()) fs::remove(edges.file);
  }
  write_buckets_file(dir / kBucketsFile, buckets);

  DatasetHeader header;
  header.info = info;
  header.node_names_bytes = write_name_file(dir / kNodeNamesFile, nodes);
  header.relation_names_bytes = write_name_file(dir / kRelationNamesFile, relations);
  write_degrees_file(dir / kDegreesFile, degrees);
  if (options.node_inputs.any()) result.node_data = write_node_data(dir, options.node_inputs, nodes);
  for (Split s : {Split::kValid, Split::kTest}) {
    const fs::path& source = options.negatives[static_cast<int>(s)];
    if (source.empty()) continue;
    result.given_negatives[static_cast<int>(s)] =
        write_given_negatives(dir, s, source, options.negatives_layout, result.format, nodes, relations,
                              info.num_edges[static_cast<int>(s)]);
  }
  write_header_file(dir, header);
  write_adjacency_index(Dataset::open(dir), dir);  // GNNs read it (core/gnn/adjacency.h)
  staging.commit();

  result.output = staging.target();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  logger().debug("preprocessed {} in {:.2f} s", result.output.string(), result.seconds);
  return result;
}

}  // namespace marius
