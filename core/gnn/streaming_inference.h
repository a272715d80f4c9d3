// core/gnn/streaming_inference.h - full-neighbourhood inference of a GNN
// encoder whose inputs are larger than memory: layer by layer, destinations a
// block of rows at a time, each layer's output in a scratch file.
//
// For a block of destinations [a, b), layer k gathers the input rows of the
// block and of every neighbour (adjacency rows a..b, whole): the first layer
// from the caller's `input_rows` (features.bin, a partition store, ...), the
// others from the previous layer's file; it runs the layer on them and appends
// the block's output to its own file. Memory holds one block's gathered rows,
// never a whole layer. Each file is deleted once the next layer has read it,
// and on an error every file this call wrote is deleted. The result equals
// GnnEncoder::infer on the whole table up to float rounding (each layer
// computes the same rows from the same inputs; only the blocking differs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include <ATen/core/Tensor.h>

#include "core/data/feature_file.h"
#include "core/gnn/adjacency.h"
#include "core/gnn/encoder.h"

namespace marius {

// The first layer's input rows of `ids` (int64 node ids, sorted ascending,
// distinct), float32 [ids, in_dim].
using InputRows = std::function<at::Tensor(const at::Tensor& ids)>;

// Returns the last layer's output, float32 [N, out_dim], as the file
// "layer-<L>.bin" (node data format, not fsynced: scratch) in `dir`, which the
// caller deletes when done. `block_rows`: destinations per block.
FeatureFile infer_streaming(const GnnEncoder& encoder, const Adjacency& adjacency, const InputRows& input_rows,
                            const std::filesystem::path& dir, int64_t block_rows = 16384);

// A new, empty scratch directory `under`/inference.XXXXXX (mkdtemp: one per
// call, so sessions sharing an output.dir never touch each other's files).
// Throws Error naming the directory.
std::filesystem::path make_scratch_directory(const std::filesystem::path& under);

}  // namespace marius
