#include "core/data/generate_powerlaw.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "core/data/binary_file.h"
#include "core/data/bucket_writer.h"
#include "core/data/dataset_format.h"
#include "core/data/dataset_writer.h"
#include "core/data/partitioning.h"
#include "core/data/seeded_random.h"
#include "core/data/staging_dir.h"
#include "core/error.h"
#include "core/logging.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

constexpr int64_t kMaxNodes = INT32_MAX;
constexpr int64_t kMaxEdges = int64_t{1} << 40;
constexpr int64_t kMaxRelations = 1'000'000;
constexpr int64_t kMaxSplitEdges = 1'000'000'000;

void check_range(const char* option, int64_t value, int64_t low, int64_t high) {
  if (value < low || value > high) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{} {}: expected a value in [{}, {}]", option, value, low, high);
  }
}

void check_options(const PowerLawOptions& o) {
  if (o.output.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "--output: required (the dataset directory to write)");
  check_range("--nodes", o.nodes, 2, kMaxNodes);
  check_range("--edges", o.edges, 1, kMaxEdges);
  check_range("--relations", o.relations, 1, kMaxRelations);
  check_range("--valid-edges", o.valid_edges, 0, kMaxSplitEdges);
  check_range("--test-edges", o.test_edges, 0, kMaxSplitEdges);
  if (!(o.exponent > 1.0 && o.exponent <= 10.0)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--exponent {}: expected a value in (1, 10]", o.exponent);
  }
  check_partitions(o.partitions, o.nodes);
}

// (x * n) / 2^64 for a uniform 64-bit x: uniform in [0, n) up to a bias of n / 2^64.
inline uint64_t scale(uint64_t x, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(x) * n) >> 64);
}

// Draws node ids in proportion to the rank weights (Vose's alias method). Each
// entry holds both outcomes as final node ids, so a draw touches one entry.
class NodeSampler {
 public:
  NodeSampler(int64_t nodes, double exponent, SeededRandom& random) : n_(static_cast<uint64_t>(nodes)) {
    const auto n = static_cast<size_t>(nodes);
    std::vector<uint32_t> id(n);  // rank -> node id
    std::iota(id.begin(), id.end(), 0u);
    random.shuffle(id);

    const double a = 1.0 / (exponent - 1.0);
    std::vector<double> q(n);  // weight * n / total: mean 1
    double total = 0;
    for (size_t k = 0; k < n; ++k) total += q[k] = std::pow(static_cast<double>(k + 1), -a);
    for (double& x : q) x *= static_cast<double>(n) / total;

    // Ranks below 1 from the front of `work`, ranks at or above 1 from the back.
    std::vector<uint32_t> work(n);
    size_t small = 0, large = n;
    for (size_t k = 0; k < n; ++k) {
      if (q[k] < 1.0) {
        work[small++] = static_cast<uint32_t>(k);
      } else {
        work[--large] = static_cast<uint32_t>(k);
      }
    }
    table_.resize(n);
    size_t s = 0;  // next small rank
    size_t l = n;  // ranks in [large, l) are large; work[l - 1] is the current one
    while (s < small && l > large) {
      const uint32_t lo = work[s++];
      const uint32_t hi = work[l - 1];
      table_[lo] = {threshold(q[lo]), id[lo], id[hi]};
      q[hi] -= 1.0 - q[lo];
      if (q[hi] < 1.0) {  // hi becomes small: it takes lo's place in the small list
        --l;
        work[--s] = hi;
      }
    }
    // What is left has q = 1 up to rounding: always itself.
    for (size_t k = s; k < small; ++k) table_[work[k]] = {UINT32_MAX, id[work[k]], id[work[k]]};
    for (size_t k = large; k < l; ++k) table_[work[k]] = {UINT32_MAX, id[work[k]], id[work[k]]};
  }

  uint32_t operator()(uint64_t x) const {
    const auto product = static_cast<unsigned __int128>(x) * n_;
    const Entry& e = table_[static_cast<size_t>(product >> 64)];
    const auto fraction = static_cast<uint32_t>(static_cast<uint64_t>(product) >> 32);
    return fraction < e.threshold ? e.node : e.alias;
  }

 private:
  struct Entry {
    uint32_t threshold;  // P(node) = threshold / 2^32
    uint32_t node;
    uint32_t alias;
  };
  static uint32_t threshold(double p) {
    return p >= 1.0 ? UINT32_MAX : static_cast<uint32_t>(std::max(0.0, p) * 4294967296.0);
  }

  uint64_t n_;
  std::vector<Entry> table_;
};

// One edge per call, from a random stream.
struct EdgeDrawer {
  const NodeSampler& nodes;
  uint64_t relations;

  void operator()(SeededRandom& random, int64_t& head, int64_t& relation, int64_t& tail) const {
    head = nodes(random.bits());
    relation = static_cast<int64_t>(scale(random.bits(), relations));
    tail = nodes(random.bits());
  }
};


}  // namespace

PowerLawResult generate_powerlaw(const PowerLawOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  check_options(o);
  StagingDir staging(o.output, dataset_replace_refusal, "a marius dataset");
  const fs::path& dir = staging.path();

  PowerLawResult result;
  DatasetInfo& info = result.info;
  info.num_nodes = o.nodes;
  info.num_relations = o.relations;
  info.has_relations = o.relations > 1;
  info.num_partitions = o.partitions;
  info.id_bytes = 4;  // nodes and relations below 2^31
  const NodePartitioning partitioning(o.nodes, o.partitions);

  SeededRandom random(o.seed);
  const NodeSampler sampler(o.nodes, o.exponent, random);
  const EdgeDrawer draw{sampler, static_cast<uint64_t>(o.relations)};
  int64_t h = 0, r = 0, t = 0;
  for (Split split : {Split::kValid, Split::kTest}) {
    const int64_t count = split == Split::kValid ? o.valid_edges : o.test_edges;
    EdgeFileWriter out(dir / edge_file_name(split), info.id_bytes);
    for (int64_t i = 0; i < count; ++i) {
      draw(random, h, r, t);
      out.append(h, r, t);
    }
    out.close();
    info.num_edges[static_cast<int>(split)] = count;
  }

  // Training edges: count the buckets, then draw the same edges again into them.
  const SeededRandom train_start = random;
  DrawnEdges train = write_drawn_train_edges(
      dir / edge_file_name(Split::kTrain), info.id_bytes, partitioning, o.edges,
      [&](int64_t& head, int64_t& relation, int64_t& tail) { draw(random, head, relation, tail); },
      [&] { random = train_start; });
  info.num_edges[static_cast<int>(Split::kTrain)] = o.edges;
  std::vector<int64_t>& degrees = train.degrees;
  const BucketIndex& buckets = train.buckets;
  result.max_degree = *std::max_element(degrees.begin(), degrees.end());

  DatasetHeader header;
  header.info = info;
  write_degrees_file(dir / kDegreesFile, degrees);
  degrees = {};
  header.node_names_bytes = write_numbered_names(dir / kNodeNamesFile, o.nodes);
  header.relation_names_bytes = write_numbered_names(dir / kRelationNamesFile, info.has_relations ? o.relations : 0);
  write_buckets_file(dir / kBucketsFile, buckets);
  write_header_file(dir, header);
  staging.commit();

  result.output = staging.target();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace marius
