// core/data/adjacency_index.h - the adjacency index of a dataset directory:
// the training edges as CSR rows, written when the dataset is (preprocess,
// generate), read by GNN runs (core/gnn/adjacency.h) instead of re-sorting the
// edges at every start.
//
// Two files, one per side:
//   adjacency_in.bin   row v lists (u, r) for every training edge u -r-> v
//   adjacency_out.bin  row v lists (w, r) for every training edge v -r-> w
// Each row is sorted by (neighbour, relation) and keeps a repeated pair once
// (relation 0 on a plain graph). Layout (little-endian): "MARIUSAJ", u32
// version 1, u32 id bytes (4 or 8, as the edge files), i64 num_nodes, i64
// entries E, i64 num_relations, 8 bytes reserved (0); then E (neighbour,
// relation) pairs of id-bytes integers each; then offsets, int64 [N + 1].
//
// Writing is an external sort: memory for the row counts (8 bytes per node)
// plus `memory_budget` bytes of entries (32 bytes per edge per side) at a time,
// sorted runs in temporary files beside the output, one read of the training
// edges and one merge.
#pragma once

#include <cstdint>
#include <filesystem>

#include <ATen/core/Tensor.h>

#include "core/data/dataset.h"

namespace marius {

enum class AdjacencySide { kIn, kOut };

// One side of the index.
struct AdjacencyRows {
  at::Tensor offsets;    // int64 [N + 1]
  at::Tensor neighbors;  // int64 [E]
  at::Tensor relations;  // int64 [E]
};

// The file names, null-terminated (for replaceable_dataset_file_names()).
const char* const* adjacency_index_file_names();

// Writes both files of `dataset`'s training edges into `dir` (the dataset's
// staging directory), each fsynced. Throws Error naming the file (IO, NO_SPACE).
void write_adjacency_index(const Dataset& dataset, const std::filesystem::path& dir,
                           uint64_t memory_budget = uint64_t{16} << 20);

// True when `dataset`'s directory holds the index (datasets written before it
// existed do not).
bool has_adjacency_index(const Dataset& dataset);

// Reads one side, checking the header against the dataset (nodes, relations),
// the file's size, the offsets (non-decreasing, ending at E) and every id's
// range. Throws Error(NOT_FOUND) or Error(INVALID_ARGUMENT) naming the file.
AdjacencyRows read_adjacency_index(const Dataset& dataset, AdjacencySide side);

}  // namespace marius
