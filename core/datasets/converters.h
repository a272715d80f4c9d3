// core/datasets/converters.h - a publisher's layout to preprocess's inputs.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "core/data/preprocess.h"
#include "core/datasets/catalog.h"

namespace marius {

// Where a path named by the registry (e.g. "arxiv/raw/edge.csv.gz") lies on
// disk; throws Error(NOT_FOUND) naming the dataset and the path when the
// downloads do not hold it.
using LocateFile = std::function<std::filesystem::path(const std::string&)>;

// Turns the unpacked downloads of `entry` into preprocess's inputs, writing
// what needs rewriting (pickled splits and features, OGB's CSV features, edge
// lists with self-loops for isolated nodes) under `work`, and returns the
// options with every input set; the caller sets `output`. Node classification
// needs every node in an edge (node_data.h), so a node with no edge gets a
// self-loop, as GCN's normalisation adds anyway; the count is logged.
//
// Throws Error(INVALID_ARGUMENT) naming the file and what is wrong with it (a
// missing key in a split file, arrays of unequal length, a label out of range).
PreprocessOptions convert_dataset(const DatasetEntry& entry, const LocateFile& locate, const std::filesystem::path& work);

}  // namespace marius
