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

#include "core/data/binary_file.h"
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

SbmResult generate_sbm(const SbmOptions& o) {
  const auto start = std::chrono::steady_clock::now();
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
  StagingDir staging(o.output, refusal, "a generated node classification graph");
  const fs::path& dir = staging.path();
  std::mt19937_64 rng(o.seed);
  std::vector<int32_t> label(static_cast<size_t>(o.nodes));
  std::vector<std::vector<int32_t>> members(static_cast<size_t>(o.classes));
  for (int64_t i = 0; i < o.nodes; ++i) {
    label[i] = static_cast<int32_t>(rng() % static_cast<uint64_t>(o.classes));
    members[label[i]].push_back(static_cast<int32_t>(i));
  }
  {  // edges
    TextOut out(dir / "edges.tsv");
    std::uniform_real_distribution<double> coin(0, 1);
    for (int64_t e = 0; e < o.edges; ++e) {
      const int64_t u = static_cast<int64_t>(rng() % static_cast<uint64_t>(o.nodes));
      int64_t v;
      const auto& same = members[label[u]];
      if (coin(rng) < o.homophily) {
        v = same[rng() % same.size()];
      } else {
        v = static_cast<int64_t>(rng() % static_cast<uint64_t>(o.nodes));
      }
      out.line(fmt::format("{}\t{}", u, v));
    }
    out.close();
  }
  {  // features: class means of norm `signal` plus unit noise, as .npy
    std::normal_distribution<float> normal(0, 1);
    std::vector<float> means(static_cast<size_t>(o.classes * o.features));
    for (int64_t c = 0; c < o.classes; ++c) {
      double norm = 0;
      for (int64_t k = 0; k < o.features; ++k) norm += std::pow(means[c * o.features + k] = normal(rng), 2);
      const double scale = o.signal / std::sqrt(std::max(norm, 1e-12));
      for (int64_t k = 0; k < o.features; ++k) means[c * o.features + k] *= static_cast<float>(scale);
    }
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
    std::vector<int64_t> order(static_cast<size_t>(o.nodes));
    for (int64_t i = 0; i < o.nodes; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    const double fractions[3] = {o.train_fraction, o.valid_fraction, o.test_fraction};
    const char* names[3] = {"train_nodes.txt", "valid_nodes.txt", "test_nodes.txt"};
    int64_t begin = 0;
    for (int s = 0; s < 3; ++s) {
      const int64_t count = static_cast<int64_t>(std::floor(fractions[s] * static_cast<double>(o.nodes)));
      TextOut out(dir / names[s]);
      for (int64_t i = begin; i < begin + count; ++i) out.line(std::to_string(order[i]));
      out.close();
      result.split_nodes[s] = count;
      begin += count;
    }
  }
  staging.commit();
  result.output = staging.target();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace marius
