// core/data/generate_sbm.h - a node classification graph with planted classes
// (a stochastic block model with class-correlated features), of any size, in
// the input layout preprocess reads (docs/gnn.md):
//
//   edges.tsv        "u<TAB>v", node ids 0..n-1 written as integers
//   features.npy     float32 [n, F], row i is node i: the class's mean (a fixed
//                    random vector of norm `signal`) plus N(0, 1) noise
//   labels.tsv       "i<TAB>class", class = a uniform draw per node
//   train_nodes.txt, valid_nodes.txt, test_nodes.txt  disjoint random fractions
//
// With `partitions` >= 1 it writes a marius dataset instead, ready to train
// (as generate --kind powerlaw does), for graphs whose feature table is larger
// than memory, which preprocess would read whole: node i is dense id i, the
// training edges are bucketed over `partitions` partitions (no validation or
// test edges), the adjacency index is written, and the node data files
// (features.bin streamed a block of rows at a time, labels.bin, the split
// files) sit beside them. Memory is then O(n) too; the features' noise comes
// from LibTorch's normal sampler, one generator per block of rows.
//
// An edge draws u uniformly and, with probability `homophily`, v uniformly
// among u's class, else v uniformly among all nodes: a GNN that aggregates
// neighbours sharpens the class signal a feature-only model sees. Streaming:
// memory is O(n) (the classes), whatever the number of edges. Written into a
// staging directory renamed into place (staging_dir.h); the same options give
// the same files.
#pragma once

#include <cstdint>
#include <filesystem>

namespace marius {

struct SbmOptions {
  std::filesystem::path output;
  int64_t nodes = 10000;
  int64_t edges = 100000;
  int64_t classes = 10;
  int64_t features = 32;
  double homophily = 0.8;
  double signal = 1.0;       // norm of each class's mean feature vector
  double train_fraction = 0.1, valid_fraction = 0.05, test_fraction = 0.1;
  uint64_t seed = 1;
  int64_t partitions = 0;    // >= 1: write a dataset with this many partitions
  bool float16 = false;      // a dataset's features.bin as float16
};

struct SbmResult {
  std::filesystem::path output;
  int64_t split_nodes[3] = {0, 0, 0};
  uint64_t feature_bytes = 0;  // a dataset's features.bin
  double seconds = 0;
};

// Throws Error(INVALID_ARGUMENT) naming the option at fault.
SbmResult generate_sbm(const SbmOptions& options);

}  // namespace marius
