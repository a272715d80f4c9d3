// core/data/dataset_info.h - the splits and counts of a dataset (docs/formats.md).
//
// Kept apart from dataset.h so that code which writes datasets or only needs
// their counts does not pull in ATen.
#pragma once

#include <cstdint>

namespace marius {

enum class Split { kTrain, kValid, kTest };
inline constexpr Split kSplits[] = {Split::kTrain, Split::kValid, Split::kTest};
const char* split_name(Split split);  // "train", "valid", "test"

// How nodes were assigned to partitions (preprocess --partitioner): a seeded
// random permutation, or METIS's communities (metis_partitioning.h).
enum class Partitioner { kRandom, kMetis };
const char* partitioner_name(Partitioner p);  // "random", "metis"

struct DatasetInfo {
  int64_t num_nodes = 0;
  int64_t num_relations = 0;  // 1 for a plain graph (every edge has relation 0)
  bool has_relations = false; // false: the input had two columns
  int64_t num_edges[3] = {0, 0, 0};  // by Split
  int32_t id_bytes = 4;       // 4 or 8: width of ids in the edge files
  int64_t num_partitions = 1; // node partitions (partitioning.h); 1: unpartitioned
  Partitioner partitioner = Partitioner::kRandom;  // with num_partitions > 1
};

}  // namespace marius
