#include "core/gnn/dense_sampler.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/config/value.h"
#include "core/error.h"
#include "core/run/seed_mix.h"

namespace marius {

std::string Fanout::str() const {
  switch (kind) {
    case Kind::kAll: return "all";
    case Kind::kUniform: return std::to_string(count);
    case Kind::kDropout: return fmt::format("dropout:{}", rate);
  }
  return "?";
}

std::vector<Fanout> parse_fanouts(const std::string& text, const std::string& key) {
  std::vector<Fanout> out;
  for (const std::string& item : comma_items(text)) {
    Fanout f;
    auto bad = [&](const char* why) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: fanout '{}' {} (each hop: all, a count k >= 1, or dropout:RATE)", key,
           item, why);
    };
    if (item == "all" || item == "-1") {
      f.kind = Fanout::Kind::kAll;
    } else if (item.rfind("dropout:", 0) == 0) {
      f.kind = Fanout::Kind::kDropout;
      try {
        size_t used = 0;
        f.rate = std::stod(item.substr(8), &used);
        if (used != item.size() - 8) bad("is not a number");
      } catch (const std::logic_error&) {
        bad("is not a number");
      }
      if (!(f.rate >= 0 && f.rate < 1)) bad("needs a rate in [0, 1)");
    } else {
      f.kind = Fanout::Kind::kUniform;
      if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos || item.size() > 9) {
        bad("is not a count");
      }
      f.count = std::stoll(item);
      if (f.count < 1) bad("must be at least 1");
    }
    out.push_back(f);
  }
  if (out.empty() || text.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no fanouts given", key);
  return out;
}

std::vector<Fanout> layer_fanouts(const std::string& text, const std::string& key, int64_t layers) {
  std::vector<Fanout> f = parse_fanouts(text, key);
  if (f.size() == 1) f.assign(static_cast<size_t>(layers), f[0]);
  if (static_cast<int64_t>(f.size()) != layers) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} entries for model.layers = {} (give one per layer, or one for all)", key,
         f.size(), layers);
  }
  return f;
}

LayerGraph DenseSample::layer(int64_t k) const {
  const int64_t L = num_layers();
  const int64_t n_src = hop_end[L - k], n_dst = hop_end[L - k - 1];
  LayerGraph g;
  g.offsets = offsets.slice(0, 0, n_dst + 1);
  const int64_t e = offsets[n_dst].item<int64_t>();
  g.neighbors = neighbors.slice(0, 0, e);
  g.relations = relations.slice(0, 0, e);
  g.degrees = degrees.slice(0, 0, n_src);
  return g;
}

namespace {

// SplitMix64: small, fast and good enough for sampling.
struct Stream {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<__uint128_t>(next()) * n) >> 64); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

// Row of each node id in the sample being built; -1 when absent. One per
// thread, sized to the largest graph seen, reset after each sample.
std::vector<int64_t>& rows_scratch(int64_t num_nodes) {
  thread_local std::vector<int64_t> rows;
  if (static_cast<int64_t>(rows.size()) < num_nodes) rows.assign(static_cast<size_t>(num_nodes), -1);
  return rows;
}

}  // namespace

DenseSample sample_dense(const Adjacency& adjacency, const at::Tensor& roots, const std::vector<Fanout>& fanouts,
                         uint64_t seed) {
  const int64_t n = adjacency.num_nodes();
  const int64_t* off = adjacency.offsets.data_ptr<int64_t>();
  const int64_t* nbr = adjacency.neighbors.data_ptr<int64_t>();
  const int64_t* rel = adjacency.relations.data_ptr<int64_t>();
  at::Tensor r = roots.to(at::kLong).contiguous();
  const int64_t* root = r.data_ptr<int64_t>();
  std::vector<int64_t>& row_of = rows_scratch(n);
  std::vector<int64_t> nodes;
  std::vector<int64_t> offsets{0}, neighbors, relations, root_rows(static_cast<size_t>(r.numel()));
  auto row = [&](int64_t v) {
    int64_t& slot = row_of[static_cast<size_t>(v)];
    if (slot < 0) {
      slot = static_cast<int64_t>(nodes.size());
      nodes.push_back(v);
    }
    return slot;
  };
  for (int64_t i = 0; i < r.numel(); ++i) {
    if (root[i] < 0 || root[i] >= n) {
      for (int64_t v : nodes) row_of[static_cast<size_t>(v)] = -1;
      fail(MARIUS_ERR_INVALID_ARGUMENT, "sample: root node {} outside [0, {})", root[i], n);
    }
    root_rows[static_cast<size_t>(i)] = row(root[i]);
  }
  DenseSample s;
  s.hop_end.push_back(static_cast<int64_t>(nodes.size()));
  Stream rng{mix(seed)};
  std::vector<int64_t> picked;
  int64_t begin = 0;
  for (const Fanout& f : fanouts) {
    const int64_t end = static_cast<int64_t>(nodes.size());
    for (int64_t i = begin; i < end; ++i) {
      const int64_t v = nodes[static_cast<size_t>(i)];
      const int64_t lo = off[v], degree = off[v + 1] - off[v];
      auto take = [&](int64_t e) {
        const int64_t u = nbr[lo + e];
        neighbors.push_back(row(u));
        relations.push_back(rel[lo + e]);
      };
      if (f.kind == Fanout::Kind::kAll || (f.kind == Fanout::Kind::kUniform && degree <= f.count)) {
        for (int64_t e = 0; e < degree; ++e) take(e);
      } else if (f.kind == Fanout::Kind::kUniform) {
        // Floyd's algorithm: f.count distinct positions of the row, kept in row order.
        picked.clear();
        for (int64_t j = degree - f.count; j < degree; ++j) {
          const int64_t t = static_cast<int64_t>(rng.below(static_cast<uint64_t>(j + 1)));
          picked.push_back(std::find(picked.begin(), picked.end(), t) == picked.end() ? t : j);
        }
        std::sort(picked.begin(), picked.end());
        for (int64_t e : picked) take(e);
      } else {
        for (int64_t e = 0; e < degree; ++e) {
          if (rng.uniform() >= f.rate) take(e);
        }
      }
      offsets.push_back(static_cast<int64_t>(neighbors.size()));
    }
    s.hop_end.push_back(static_cast<int64_t>(nodes.size()));
    begin = end;
  }
  for (int64_t v : nodes) row_of[static_cast<size_t>(v)] = -1;
  s.nodes = at::tensor(nodes, at::kLong);
  s.offsets = at::tensor(offsets, at::kLong);
  s.neighbors = at::tensor(neighbors, at::kLong);
  s.relations = at::tensor(relations, at::kLong);
  s.root_rows = at::tensor(root_rows, at::kLong);
  s.degrees = adjacency.degrees.index_select(0, s.nodes);
  return s;
}

LayerGraph full_graph(const Adjacency& adjacency) {
  return LayerGraph{adjacency.offsets, adjacency.neighbors, adjacency.relations, at::Tensor(), adjacency.degrees};
}

}  // namespace marius
