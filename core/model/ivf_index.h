// core/model/ivf_index.h - approximate nearest-node search over a node table
// with FAISS's inverted-file index (IndexIVFFlat), for tables where exact search
// (nearest_nodes.h) is too slow for the queries asked.
//
// Building streams the table through NodeRows (one partition in memory at a
// time out of core): k-means on a seeded sample of at most 128 rows per list
// places `nlist` centroids, then every block is added with its dense ids. The
// index itself (the rows, one copy, plus the centroids) is held in memory.
// A query probes the `nprobe` lists nearest to it and ranks their rows exactly:
// the result is exact search's top-k whenever those lists hold it, so recall
// rises with nprobe (nprobe = nlist is exact). Metrics as nearest_nodes.h: dot
// (inner product), cosine (inner product of normalised rows) and L2.
//
// Built without FAISS (MARIUS_FAISS=OFF, or libfaiss-dev missing), build() and
// load() throw Error(UNSUPPORTED) saying so.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/model/nearest_nodes.h"
#include "core/model/node_rows.h"

namespace marius {

struct IvfOptions {
  int64_t nlist = 0;   // inverted lists; 0: about sqrt(num_nodes)
  uint64_t seed = 1;   // the k-means sample and initialisation
};

// True when this build has FAISS.
bool have_faiss();

class IvfIndex {
 public:
  IvfIndex(IvfIndex&&) noexcept;
  IvfIndex& operator=(IvfIndex&&) noexcept;
  ~IvfIndex();

  // Builds the index of every row of `rows` under `comparator`
  // (MARIUS_COMPARATOR_DOT, _COSINE or _L2).
  static IvfIndex build(const NodeRows& rows, uint32_t comparator, const IvfOptions& options);
  // Writes the index to `file` through a temporary file, flushed and renamed.
  void save(const std::filesystem::path& file) const;
  // Reads an index save() wrote; throws Error naming the file when it is not one,
  // or when its metric differs from `comparator`.
  static IvfIndex load(const std::filesystem::path& file, uint32_t comparator);

  int64_t nlist() const;
  int64_t size() const;  // rows indexed

  // For each query row (float32 [q, D]) the k most similar indexed rows, most
  // similar first, leaving out exclude[i] (the query's own node; -1: none):
  // similarity as nearest_nodes.h (dot, cosine, or -L2 distance). nprobe is
  // clamped to [1, nlist].
  std::vector<std::vector<NearNode>> search(const at::Tensor& queries, const std::vector<int64_t>& exclude, int64_t k,
                                            int64_t nprobe) const;

  // An nprobe whose recall@k against exact search reaches `target` on `sample`
  // seeded rows of `rows` (the table indexed), found by doubling and then
  // bisection to within 1/16 of the smallest such count; `recall` is what it
  // reached. How well lists separate
  // neighbours depends on the table: clustered embeddings need few probes,
  // near-isotropic ones many (docs/evaluation.md).
  struct Calibration {
    int64_t nprobe = 1;
    double recall = 0;
  };
  Calibration calibrate(const NodeRows& rows, uint32_t comparator, int64_t k, double target, int64_t sample,
                        uint64_t seed) const;

 private:
  struct State;
  explicit IvfIndex(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Recall@k of `found` against `exact` (the same queries): the share of exact
// search's neighbours found.
double recall_at_k(const std::vector<std::vector<NearNode>>& found, const std::vector<std::vector<NearNode>>& exact);

}  // namespace marius
