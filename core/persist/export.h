// core/persist/export.h - node embeddings and relation parameters out of marius,
// keyed by the original ids.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/plugin/score_function.h"
#include "core/model/model.h"
#include "core/model/node_rows.h"

namespace marius {

// Writes into `dir` (created if needed), each file atomically (temporary file,
// then rename):
//   nodes.tsv          original id, then the D values, tab-separated, in dense-id order
//   nodes.npy          float32 [num_nodes, D] (NumPy format 1.0, C order)
//   node_ids.txt       original ids, one per line, in the row order of nodes.npy
//   relations.tsv / relations.npy / relation_ids.txt   likewise, [num_relations, R]
// Node rows are written block by block (out of core: one partition at a time).
// Returns the files written.
std::vector<std::filesystem::path> export_model(const Model& model, const NodeRows& nodes, const Dataset& dataset,
                                                const std::filesystem::path& dir);

// Writes per-node rows `rows` float32 [num_nodes, D] (a GNN's final-layer
// representations) as <stem>.tsv, <stem>.npy and node_ids.txt, like
// export_model's node files. Returns the files written.
std::vector<std::filesystem::path> export_node_rows(const at::Tensor& rows, const Dataset& dataset,
                                                    const std::filesystem::path& dir, const std::string& stem);

// Writes a float32 matrix as .npy (atomically). Exposed for tests.
void write_npy(const std::filesystem::path& file, const float* data, int64_t rows, int64_t cols);

}  // namespace marius
