#include "core/data/generate.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <iterator>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "core/data/binary_file.h"
#include "core/data/seeded_random.h"
#include "core/data/staging_dir.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

constexpr int64_t kMaxNodes = 10'000'000;
constexpr int64_t kMaxRelations = 10'000;
constexpr int64_t kMaxEdges = 100'000'000;
constexpr const char* kFiles[3] = {"train.tsv", "valid.tsv", "test.tsv"};

void check_range(const char* option, int64_t value, int64_t low, int64_t high) {
  if (value < low || value > high) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{} {}: expected a value in [{}, {}]", option, value, low, high);
  }
}

// Why generate may not replace `dir`, or "" when it holds only the files generate writes.
std::string generated_replace_refusal(const fs::path& dir) {
  const std::string foreign = first_foreign_entry(dir, {kFiles[0], kFiles[1], kFiles[2]});
  if (foreign.empty()) return "";
  return fmt::format("it holds \"{}\", which is not {}, {} or {}", foreign, kFiles[0], kFiles[1], kFiles[2]);
}

// Clusters as lists of nodes, and per relation the cluster each cluster maps to.
struct Structure {
  std::vector<int64_t> cluster_of;             // by node
  std::vector<std::vector<int64_t>> members;   // by cluster
  std::vector<std::vector<int64_t>> partner;   // [relation][cluster]
};

Structure plant(const GenerateOptions& o, int64_t clusters, SeededRandom& random) {
  Structure s;
  std::vector<int64_t> order(static_cast<size_t>(o.nodes));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  random.shuffle(order);
  s.cluster_of.resize(order.size());
  s.members.resize(static_cast<size_t>(clusters));
  for (size_t i = 0; i < order.size(); ++i) {
    auto c = static_cast<int64_t>(i % static_cast<size_t>(clusters));
    s.cluster_of[static_cast<size_t>(order[i])] = c;
    s.members[static_cast<size_t>(c)].push_back(order[i]);
  }
  for (int64_t r = 0; r < o.relations; ++r) {
    std::vector<int64_t> perm(static_cast<size_t>(clusters));
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
    random.shuffle(perm);
    std::vector<int64_t> partner(perm.size());
    for (size_t i = 0; i + 1 < perm.size(); i += 2) {
      bool fixed = random.below(4) == 0;  // both map to themselves
      partner[static_cast<size_t>(perm[i])] = fixed ? perm[i] : perm[i + 1];
      partner[static_cast<size_t>(perm[i + 1])] = fixed ? perm[i + 1] : perm[i];
    }
    if (perm.size() % 2 == 1) partner[static_cast<size_t>(perm.back())] = perm.back();
    s.partner.push_back(std::move(partner));
  }
  return s;
}

// How many distinct triples the structure admits.
int64_t distinct_triples(const Structure& s) {
  int64_t total = 0;
  for (const auto& partner : s.partner) {
    for (size_t c = 0; c < s.members.size(); ++c) {
      total += static_cast<int64_t>(s.members[c].size() * s.members[static_cast<size_t>(partner[c])].size());
    }
  }
  return total;
}

void write_tsv(const fs::path& file, const std::vector<std::array<int64_t, 3>>& edges, size_t begin, size_t end) {
  BinaryWriter out(file);
  fmt::memory_buffer text;
  for (size_t i = begin; i < end; ++i) {
    fmt::format_to(std::back_inserter(text), "n{}\tr{}\tn{}\n", edges[i][0], edges[i][1], edges[i][2]);
    if (text.size() > (1u << 20)) {
      out.write(text.data(), text.size());
      text.clear();
    }
  }
  out.write(text.data(), text.size());
  out.close(true);
}

}  // namespace

GenerateResult generate(const GenerateOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  if (o.output.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "--output: required (the directory to write)");
  check_range("--nodes", o.nodes, 2, kMaxNodes);
  check_range("--relations", o.relations, 1, kMaxRelations);
  check_range("--edges", o.edges, 10, kMaxEdges);
  check_range("--clusters", o.clusters, 1, kMaxNodes);
  const int64_t clusters = std::min(o.clusters, o.nodes);

  SeededRandom random(o.seed);
  Structure s = plant(o, clusters, random);
  const int64_t possible = distinct_triples(s);
  if (o.edges > possible / 2) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "--edges {}: too many; {} nodes in {} clusters with {} relations admit {} distinct triples, and at most "
         "half of them can be asked for (more nodes or fewer clusters admit more)",
         o.edges, o.nodes, clusters, o.relations, possible);
  }
  StagingDir staging(o.output, generated_replace_refusal, "a directory of generated edge lists");

  std::vector<std::array<int64_t, 3>> edges;
  edges.reserve(static_cast<size_t>(o.edges));
  std::unordered_set<uint64_t> seen;
  seen.reserve(static_cast<size_t>(o.edges) * 2);
  const auto n = static_cast<uint64_t>(o.nodes);
  const auto relations = static_cast<uint64_t>(o.relations);
  while (static_cast<int64_t>(edges.size()) < o.edges) {
    auto h = static_cast<int64_t>(random.below(n));
    auto r = static_cast<int64_t>(random.below(relations));
    const auto& candidates = s.members[static_cast<size_t>(s.partner[static_cast<size_t>(r)][static_cast<size_t>(s.cluster_of[static_cast<size_t>(h)])])];
    int64_t t = candidates[random.below(candidates.size())];
    uint64_t key = (static_cast<uint64_t>(h) * relations + static_cast<uint64_t>(r)) * n + static_cast<uint64_t>(t);
    if (seen.insert(key).second) edges.push_back({h, r, t});
  }
  random.shuffle(edges);

  GenerateResult result;
  result.clusters = clusters;
  const auto total = static_cast<size_t>(o.edges);
  const size_t bounds[4] = {0, total * 8 / 10, total * 9 / 10, total};
  for (int split = 0; split < 3; ++split) {
    write_tsv(staging.path() / kFiles[split], edges, bounds[split], bounds[split + 1]);
    result.num_edges[split] = static_cast<int64_t>(bounds[split + 1] - bounds[split]);
  }
  staging.commit();
  result.output = staging.target();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace marius
