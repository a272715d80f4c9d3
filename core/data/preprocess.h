// core/data/preprocess.h - edge lists in, a dataset directory out.
//
// `marius-run preprocess` is a thin front end to preprocess(). Inputs are either
// a train file with optional valid and test files, or one input file split at
// random (exact sizes from the fractions, reproducible from the seed; edges keep
// their input order within a split). Node and relation dictionaries are built
// over every input, so an id seen only in valid or test still gets a dense id.
// Dense ids follow first appearance (train, then valid, then test), or numeric
// order with integer ids (an input already numbered 0..n-1 keeps its numbers,
// unless partitioned).
//
// Partitions (--partitions p > 1, partitioning.h): the dense ids are then
// renumbered by a random permutation drawn from the seed (a Fisher-Yates
// shuffle of 0..n-1 by SeededRandom(seed), applied after the first-appearance or
// numeric numbering), or with --partitioner metis by one that puts METIS's
// communities of the training graph into the same partition
// (metis_partitioning.h; it holds the graph in memory, twice 4 bytes per
// training edge), partition k holds the ids [floor(k*n/p), floor((k+1)*n/p)),
// and train.edges is grouped by bucket in row-major order, input order kept
// within a bucket. nodes.txt, degrees.bin and the valid and test edges follow
// the renumbering. With p = 1 nothing is permuted and train.edges keeps the
// input order.
//
// Streaming: a first pass writes the dense ids of every edge to temporary
// files while the dictionaries grow; with p > 1 a counting pass over them
// sizes the buckets; a last pass writes the final edge files (32-bit ids when
// every id fits, else 64-bit; train edges straight to their bucket's place
// through bucket_writer.h's bounded buffers) and the training degrees. Memory
// grows with the number of distinct ids, not with the number of edges.
//
// Atomic: everything is written into OUTPUT.tmp-XXXXXX, renamed to OUTPUT at the
// very end (replacing a previous dataset there that holds nothing else, see
// dataset_replace_refusal; anything else at OUTPUT, a checkpoint or metrics
// beside a dataset included, is refused before work starts and nothing is
// deleted). On any error the temporary directory is removed.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/data/dataset_info.h"
#include "core/data/edge_list_reader.h"
#include "core/data/given_negatives.h"
#include "core/data/node_data.h"

namespace marius {

struct PreprocessOptions {
  // Either train (+ optional valid, test) ...
  std::filesystem::path train;
  std::filesystem::path valid;
  std::filesystem::path test;
  // ... or one input with train/valid/test fractions.
  std::filesystem::path input;
  std::optional<std::array<double, 3>> split;
  uint64_t seed = 1;

  std::filesystem::path output;
  EdgeListFormat format;
  int32_t id_bytes = 0;  // 0: 4 when every id fits in int32, else 8; 8: always 8
  int64_t partitions = 1;  // 1 <= partitions <= min(nodes, kMaxPartitions); see above
  Partitioner partitioner = Partitioner::kRandom;  // p > 1: the permutation; see above
  NodeInputs node_inputs;  // features, labels and node splits (node_data.h); optional
  // Negatives published for the valid and test splits (given_negatives.h), by
  // Split (the train entry must stay empty); optional.
  std::filesystem::path negatives[3];
  NegativesLayout negatives_layout = NegativesLayout::kShared;
};

// Parses "--split 0.9,0.05,0.05": three non-negative fractions summing to 1,
// train above 0. Throws Error(INVALID_ARGUMENT) naming --split.
std::array<double, 3> parse_split(const std::string& text);

struct PreprocessResult {
  std::filesystem::path output;  // absolute
  DatasetInfo info;
  EdgeListFormat format;  // with the detected delimiter and column layout
  NodeDataSummary node_data;  // zeros without node inputs
  int64_t given_negatives[3] = {0, 0, 0};  // by Split: write_given_negatives' counts; 0 without
  double internal_edge_fraction = -1;  // --partitioner metis: training edges within a partition; -1 otherwise
  double seconds = 0;
};

// Throws Error naming the option, or FILE:LINE, at fault; a file without edges
// is an error ("no edges"), and so are more partitions than nodes (naming
// --partitions, after the first pass has counted the nodes).
PreprocessResult preprocess(const PreprocessOptions& options);

}  // namespace marius
