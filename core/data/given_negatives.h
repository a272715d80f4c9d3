// core/data/given_negatives.h - negatives shipped with a dataset for its
// official evaluation (docs/formats.md, "Given negatives"; the `given` and
// `classification` protocols of evaluation.protocol).
//
// Benchmarks such as OGB's link-prediction sets and CoDEx judge a model against
// negatives they publish, so that every system is scored on the same ones:
//   shared: one set of negative edges for the whole split, every positive
//           compared with all of them (ogbl-ddi, ogbl-collab: Hits@K); with
//           relations, CoDEx's false triples (triple classification);
//   tails:  per edge, M candidate tails: edge i's (h, r, ?) ranked among them
//           (ogbl-citation2: MRR);
//   heads:  per edge, M candidate heads;
//   both:   per edge, M heads then M tails (ogbl-wikikg2's head_neg, tail_neg).
//
// `marius-run preprocess --valid-negatives F --test-negatives F
// [--negatives-layout shared|tails|heads|both]` reads them by original ids
// after the edges have fixed the dense ids, and writes `<split>_negatives.bin`
// (node_data.h's file header; kind says the layout; int64 values):
//   shared: [N, 3] (head, relation, tail);  tails, heads: [E, M];  both: [E, 2M].
// Inputs: shared negatives are an edge list in the split files' own layout
// (the same columns, delimiter and relation names); per-edge negatives have one
// line per edge of the split, in the split file's order, holding the candidate
// node ids separated by spaces, tabs or commas, the same count on every line.
// Errors name FILE:LINE: a node or relation the edges never name, a line of
// another length, more or fewer lines than the split has edges.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/data/dataset_info.h"
#include "core/data/edge_list_reader.h"

namespace marius {

class IdDictionary;

enum class NegativesLayout { kShared, kTails, kHeads, kBoth };
const char* negatives_layout_name(NegativesLayout layout);  // "shared", "tails", "heads", "both"
// Parses a layout name; throws Error(INVALID_ARGUMENT) naming `key` otherwise.
NegativesLayout parse_negatives_layout(const std::string& name, const std::string& key);

// The file a split's given negatives live in: "<split>_negatives.bin".
std::string given_negatives_file_name(Split split);
// The names of every split's negatives file, null-terminated (replaceable_dataset_file_names()).
const char* const* given_negatives_file_names();

// Reads `source` (see above) and writes `dir`/<split>_negatives.bin. `format`
// is the layout the split files were read with; `split_edges` the split's edge
// count. Returns the number of negatives (shared: edges; per edge: M per side).
// Throws Error naming FILE:LINE.
int64_t write_given_negatives(const std::filesystem::path& dir, Split split, const std::filesystem::path& source,
                              NegativesLayout layout, const EdgeListFormat& format, const IdDictionary& nodes,
                              const IdDictionary& relations, int64_t split_edges);

struct GivenNegatives {
  NegativesLayout layout = NegativesLayout::kShared;
  at::Tensor edges;  // shared: int64 [N, 3]
  at::Tensor heads;  // heads, both: int64 [E, M]; undefined otherwise
  at::Tensor tails;  // tails, both: int64 [E, M]; undefined otherwise
  int64_t count() const;  // shared: N; per edge: M

  // A split's negatives in `dir`, or nullopt when it has none. Checks the
  // header, the size, that per-edge rows match `split_edges`, and that every
  // id is in range; throws Error naming the file.
  static std::optional<GivenNegatives> open(const std::filesystem::path& dir, Split split, const DatasetInfo& info);
};

}  // namespace marius
