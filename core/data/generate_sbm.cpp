#include "core/data/generate_sbm.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/data/binary_file.h"
#include "core/data/bucket_writer.h"
#include "core/data/dataset.h"
#include "core/data/dataset_format.h"
#include "core/data/dataset_writer.h"
#include "core/data/adjacency_index.h"
#include "core/data/feature_file.h"
#include "core/data/node_data.h"
#include "core/data/partitioning.h"
#include "core/data/staging_dir.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

const std::vector<std::string> kFiles = {"edges.tsv", "features.npy", "labels.tsv", "train_nodes.txt",
                                         "valid_nodes.txt", "test_nodes.txt"};

std::string refusal(const fs::path& dir) {
  const std::string foreign = first_foreign_entry(dir, kFiles);
  return foreign.empty() ? "" : fmt::format("it holds \"{}\", which generate --kind sbm did not write", foreign);
}

// A text file written through a large buffer; errors name the file.
class TextOut {
 public:
  explicit TextOut(const fs::path& path) : out_(path) {}
  void line(const std::string& s) {
    buffer_ += s;
    buffer_ += '\n';
    if (buffer_.size() > (1 << 20)) flush();
  }
  void close() {
    flush();
    out_.close(/*sync=*/true);
  }

 private:
  void flush() {
    out_.write(buffer_.data(), buffer_.size());
    buffer_.clear();
  }
  BinaryWriter out_;
  std::string buffer_;
};

}  // namespace

namespace {

void check_options(const SbmOptions& o) {
  auto bad = [](const char* option, const std::string& why) { fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {}", option, why); };
  if (o.nodes < 2 || o.nodes > (int64_t{1} << 31)) bad("--nodes", "must be in [2, 2^31]");
  if (o.edges < 1) bad("--edges", "must be at least 1");
  if (o.classes < 2 || o.classes > o.nodes) bad("--classes", "must be in [2, nodes]");
  if (o.features < 1 || o.features > 65536) bad("--features", "must be in [1, 65536]");
  if (!(o.homophily >= 0 && o.homophily <= 1)) bad("--homophily", "must be in [0, 1]");
  if (o.train_fraction <= 0 || o.valid_fraction < 0 || o.test_fraction < 0 ||
      o.train_fraction + o.valid_fraction + o.test_fraction > 1) {
    bad("--split", "fractions must be non-negative, train above 0, summing to at most 1");
  }
  if (o.partitions > 0) check_partitions(o.partitions, o.nodes);
}

// Each node's class (a uniform draw), and the members of each class.
void draw_classes(const SbmOptions& o, std::mt19937_64& rng, std::vector<int32_t>& label,
                  std::vector<std::vector<int32_t>>& members) {
  label.resize(static_cast<size_t>(o.nodes));
  members.assign(static_cast<size_t>(o.classes), {});
  for (int64_t i = 0; i < o.nodes; ++i) {
    label[i] = static_cast<int32_t>(rng() % static_cast<uint64_t>(o.classes));
    members[label[i]].push_back(static_cast<int32_t>(i));
  }
}

// One edge: u uniform; v in u's class with probability `homophily`, else uniform.
struct SbmEdgeDraw {
  const SbmOptions& o;
  const std::vector<int32_t>& label;
  const std::vector<std::vector<int32_t>>& members;
  std::pair<int64_t, int64_t> operator()(std::mt19937_64& rng) const {
    std::uniform_real_distribution<double> coin(0, 1);
    const int64_t u = static_cast<int64_t>(rng() % static_cast<uint64_t>(o.nodes));
    const auto& same = members[label[u]];
    if (coin(rng) < o.homophily) return {u, same[rng() % same.size()]};
    return {u, static_cast<int64_t>(rng() % static_cast<uint64_t>(o.nodes))};
  }
};

// Each class's mean feature vector, of norm `signal` (classes x features).
std::vector<float> class_means(const SbmOptions& o, std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> means(static_cast<size_t>(o.classes * o.features));
  for (int64_t c = 0; c < o.classes; ++c) {
    double norm = 0;
    for (int64_t k = 0; k < o.features; ++k) norm += std::pow(means[c * o.features + k] = normal(rng), 2);
    const double scale = o.signal / std::sqrt(std::max(norm, 1e-12));
    for (int64_t k = 0; k < o.features; ++k) means[c * o.features + k] *= static_cast<float>(scale);
  }
  return means;
}

// Disjoint random train, valid and test nodes, each in a random order.
std::vector<std::vector<int64_t>> draw_splits(const SbmOptions& o, std::mt19937_64& rng) {
  std::vector<int64_t> order(static_cast<size_t>(o.nodes));
  for (int64_t i = 0; i < o.nodes; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  const double fractions[3] = {o.train_fraction, o.valid_fraction, o.test_fraction};
  std::vector<std::vector<int64_t>> splits(3);
  int64_t begin = 0;
  for (int s = 0; s < 3; ++s) {
    const int64_t count = static_cast<int64_t>(std::floor(fractions[s] * static_cast<double>(o.nodes)));
    splits[s].assign(order.begin() + begin, order.begin() + begin + count);
    begin += count;
  }
  return splits;
}

// The dataset form (partitions >= 1): see generate_sbm.h.
SbmResult write_dataset(const SbmOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  StagingDir staging(o.output, dataset_replace_refusal, "a marius dataset");
  const fs::path& dir = staging.path();
  std::mt19937_64 rng(o.seed);
  std::vector<int32_t> label;
  std::vector<std::vector<int32_t>> members;
  draw_classes(o, rng, label, members);
  DatasetInfo info;
  info.num_nodes = o.nodes;
  info.num_relations = 1;
  info.has_relations = false;
  info.num_partitions = o.partitions;
  info.id_bytes = 4;
  const NodePartitioning partitioning(o.nodes, o.partitions);
  for (Split split : {Split::kValid, Split::kTest}) EdgeFileWriter(dir / edge_file_name(split), info.id_bytes).close();
  // Training edges: count the buckets, then draw the same edges again into them.
  const SbmEdgeDraw draw{o, label, members};
  const std::mt19937_64 edges_start = rng;
  DrawnEdges train = write_drawn_train_edges(
      dir / edge_file_name(Split::kTrain), info.id_bytes, partitioning, o.edges,
      [&](int64_t& head, int64_t& relation, int64_t& tail) {
        std::tie(head, tail) = draw(rng);
        relation = 0;
      },
      [&] { rng = edges_start; });
  info.num_edges[static_cast<int>(Split::kTrain)] = o.edges;
  const BucketIndex& buckets = train.buckets;
  std::vector<int64_t>& degrees = train.degrees;
  DatasetHeader header;
  header.info = info;
  write_degrees_file(dir / kDegreesFile, degrees);
  degrees = {};
  header.node_names_bytes = write_numbered_names(dir / kNodeNamesFile, o.nodes);
  header.relation_names_bytes = write_numbered_names(dir / kRelationNamesFile, 0);
  write_buckets_file(dir / kBucketsFile, buckets);

  SbmResult result;
  {  // features.bin: class mean plus N(0, 1) noise, a block of rows at a time
    const std::vector<float> means = class_means(o, rng);
    const at::Tensor mean_rows = at::from_blob(const_cast<float*>(means.data()), {o.classes, o.features}, at::kFloat);
    const at::Tensor labels = at::from_blob(label.data(), {o.nodes}, at::kInt).to(at::kLong);
    FeatureFileWriter out(dir / node_file_name(kNodeFeatures32), o.nodes, o.features, o.float16);
    const int64_t block = std::max<int64_t>(1, (int64_t{1} << 24) / o.features);
    const uint64_t noise_seed = rng();
    for (int64_t i = 0; i < o.nodes; i += block) {
      const int64_t n = std::min(block, o.nodes - i);
      at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(noise_seed ^ (static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL));
      at::Tensor rows = at::normal(0.0, 1.0, {n, o.features}, gen).add_(mean_rows.index_select(0, labels.slice(0, i, i + n)));
      out.append(rows.data_ptr<float>(), n);
    }
    out.close();
    result.feature_bytes = static_cast<uint64_t>(o.nodes) * static_cast<uint64_t>(o.features) * (o.float16 ? 2 : 4);
  }
  write_node_file(dir / node_file_name(kNodeLabels), kNodeLabels, o.nodes, o.classes, label.data());
  const std::vector<std::vector<int64_t>> splits = draw_splits(o, rng);
  for (Split s : kSplits) {
    const std::vector<int64_t>& nodes = splits[static_cast<int>(s)];
    write_node_file(dir / node_file_name(kNodes, s), kNodes, static_cast<int64_t>(nodes.size()), 1, nodes.data());
    result.split_nodes[static_cast<int>(s)] = static_cast<int64_t>(nodes.size());
  }
  write_header_file(dir, header);
  write_adjacency_index(Dataset::open(dir), dir);
  staging.commit();
  result.output = staging.target();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

SbmResult generate_sbm(const SbmOptions& o) {
  check_options(o);
  if (o.partitions > 0) return write_dataset(o);
  const auto start = std::chrono::steady_clock::now();
  StagingDir staging(o.output, refusal, "a generated node classification graph");
  const fs::path& dir = staging.path();
  std::mt19937_64 rng(o.seed);
  std::vector<int32_t> label;
  std::vector<std::vector<int32_t>> members;
  draw_classes(o, rng, label, members);
  {  // edges
    TextOut out(dir / "edges.tsv");
    const SbmEdgeDraw draw{o, label, members};
    for (int64_t e = 0; e < o.edges; ++e) {
      auto [u, v] = draw(rng);
      out.line(fmt::format("{}\t{}", u, v));
    }
    out.close();
  }
  {  // features: class means of norm `signal` plus unit noise, as .npy
    std::normal_distribution<float> normal(0, 1);
    const std::vector<float> means = class_means(o, rng);
    BinaryWriter out(dir / "features.npy");
    std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", o.nodes, o.features);
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    const uint16_t length = static_cast<uint16_t>(header.size());
    out.write("\x93NUMPY\x01\x00", 8);
    out.write(&length, 2);
    out.write(header.data(), header.size());
    std::vector<float> rows;
    const int64_t block = std::max<int64_t>(1, (1 << 22) / o.features);
    for (int64_t i = 0; i < o.nodes; i += block) {
      const int64_t n = std::min(block, o.nodes - i);
      rows.resize(static_cast<size_t>(n * o.features));
      for (int64_t r = 0; r < n; ++r) {
        const float* mean = means.data() + label[i + r] * o.features;
        for (int64_t k = 0; k < o.features; ++k) rows[r * o.features + k] = mean[k] + normal(rng);
      }
      out.write(rows.data(), rows.size() * sizeof(float));
    }
    out.close(/*sync=*/true);
  }
  {  // labels
    TextOut out(dir / "labels.tsv");
    for (int64_t i = 0; i < o.nodes; ++i) out.line(fmt::format("{}\t{}", i, label[i]));
    out.close();
  }
  SbmResult result;
  {  // disjoint random splits
    const std::vector<std::vector<int64_t>> splits = draw_splits(o, rng);
    const char* names[3] = {"train_nodes.txt", "valid_nodes.txt", "test_nodes.txt"};
    for (int s = 0; s < 3; ++s) {
      TextOut out(dir / names[s]);
      for (int64_t node : splits[s]) out.line(std::to_string(node));
      out.close();
      result.split_nodes[s] = static_cast<int64_t>(splits[s].size());
    }
  }
  staging.commit();
  result.output = staging.target();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace marius
