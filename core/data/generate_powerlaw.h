// core/data/generate_powerlaw.h - a large synthetic graph with a power-law
// degree distribution, written straight into a (partitioned) dataset directory.
//
// `marius-run generate --kind powerlaw` is the input of scale benchmarks: it
// writes the binary dataset format (docs/formats.md) directly, with no TSV
// and no preprocess step. Node k of the popularity ranking (k = 0..N-1) has
// weight (k + 1)^(-1 / (exponent - 1)); every edge draws its head and its tail
// independently in proportion to these weights (an alias table), so the
// expected degree of a node is proportional to its weight and the degree
// distribution has a tail P(degree = d) ~ d^(-exponent) (2.1 by default, as
// in web and social graphs). Ranks become node ids through a random
// permutation, so hubs are spread over all partitions. Relations are uniform;
// one relation makes a plain graph. Edges are independent draws: duplicates
// and self-loops occur and are kept.
//
// Node names are "0".."N-1" (nodes.txt line i is "i"), relation names
// "0".."R-1". --edges counts the training edges; --valid-edges and
// --test-edges more edges are drawn the same way for the other splits
// (first valid, then test, then train, from one SeededRandom stream: the same
// options and seed give the same directory).
//
// Streaming: the training edges are drawn twice from the same random state,
// once to count the bucket sizes (only with partitions > 1) and once to write
// each edge into its bucket (bucket_writer.h). Memory is O(N): about 28 bytes
// per node while the alias table is built, then 12 bytes per node for the table
// and 8 for the degrees, plus the bucket writer's bounded buffers; nothing
// grows with the number of edges. Progress goes to the log (stderr) in 10%
// steps when there are at least a million edges. Output is atomic as for
// preprocess (staging_dir.h; an existing dataset at the output is replaced).
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/data/dataset_info.h"

namespace marius {

struct PowerLawOptions {
  std::filesystem::path output;
  int64_t nodes = 2000;        // 2 .. 2^31 - 1
  int64_t edges = 40000;       // training edges, >= 1
  int64_t relations = 10;      // >= 1; 1: a plain graph
  int64_t partitions = 1;      // 1 .. min(nodes, kMaxPartitions)
  int64_t valid_edges = 1000;  // >= 0
  int64_t test_edges = 1000;   // >= 0
  double exponent = 2.1;       // degree distribution exponent, in (1, 10]
  uint64_t seed = 1;
};

struct PowerLawResult {
  std::filesystem::path output;  // absolute
  DatasetInfo info;
  int64_t max_degree = 0;  // over the training edges
  double seconds = 0;
};

// Throws Error(INVALID_ARGUMENT) naming the option at fault, or the output
// directory when it exists and is not a dataset.
PowerLawResult generate_powerlaw(const PowerLawOptions& options);

}  // namespace marius
