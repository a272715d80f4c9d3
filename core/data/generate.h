// core/data/generate.h - a synthetic multi-relational graph with planted structure.
//
// Nodes fall into `clusters` groups of near-equal size (a random assignment).
// Each relation pairs the clusters by its own random involution: a random
// perfect matching of the clusters in which some pairs (about one in four, and
// the odd one out) map a cluster to itself. An edge (h, r, t) draws h
// uniformly, r uniformly, and t uniformly inside the cluster r matches to h's.
// The relation is thus symmetric at the cluster level, which DistMult can
// represent: a trained model ranks the true tail among the ~nodes/clusters
// candidates of the right cluster, far above chance (1/nodes).
//
// Triples are distinct; they are shuffled and split 80/10/10 into train.tsv,
// valid.tsv and test.tsv ("n12<TAB>r3<TAB>n40" lines), written atomically into
// the output directory (see staging_dir.h; an existing output is replaced only
// if it holds nothing but those three files). The same options and seed give
// the same files. Edges are generated in memory (24 bytes each).
#pragma once

#include <cstdint>
#include <filesystem>

namespace marius {

struct GenerateOptions {
  std::filesystem::path output;
  int64_t nodes = 2000;
  int64_t relations = 10;
  int64_t edges = 40000;
  int64_t clusters = 40;  // lowered to `nodes` when larger
  uint64_t seed = 1;
};

struct GenerateResult {
  std::filesystem::path output;  // absolute
  int64_t num_edges[3] = {0, 0, 0};  // train, valid, test
  int64_t clusters = 0;
  double seconds = 0;
};

// Throws Error(INVALID_ARGUMENT) naming the option at fault, e.g. when more
// edges are asked for than distinct triples exist.
GenerateResult generate(const GenerateOptions& options);

}  // namespace marius
