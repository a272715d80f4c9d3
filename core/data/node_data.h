// core/data/node_data.h - node features, labels and node splits of a dataset
// directory (docs/formats.md, "Node data"), for node classification and GNNs.
//
// `marius-run preprocess --features F --labels L --train-nodes T ...` reads
// them keyed by the original node ids, after the edges have fixed the dense
// ids, and writes them into the staging directory beside the edge files:
//   features.bin             float32 (or float16) [N, D], row = dense node id
//   labels.bin               int32 [N], -1 = unlabelled; cols = number of classes
//   {train,valid,test}_nodes.bin  int64 dense ids, in file order
// Every file starts with a 32-byte header: "MARIUSND", version (u32), kind
// (u32), rows (i64), cols (i64).
//
// Inputs: features `node<TAB>v1 v2 ... vD` (.tsv or .tsv.gz; values separated
// by spaces, tabs or commas) or a 2-D float32/float64 .npy whose row i is the
// node named "i"; labels `node<TAB>class`; split files one node per line.
// Errors name FILE:LINE: a node the edges never name, a row of another width,
// a value that is not a finite number, a node given twice (in one file, or in
// two split files), a class below -1, a split node without a label; and a
// node without a feature row is an error naming it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/data/dataset_info.h"

namespace marius {

class IdDictionary;

struct NodeInputs {
  std::filesystem::path features;   // .tsv[.gz] or .npy
  std::filesystem::path labels;
  std::filesystem::path split_nodes[3];  // by Split
  bool float16 = false;             // store features as float16 (half the bytes)
  bool any() const {
    return !features.empty() || !labels.empty() || !split_nodes[0].empty() || !split_nodes[1].empty() ||
           !split_nodes[2].empty();
  }
};

// What write_node_data wrote (0 for a file not written).
struct NodeDataSummary {
  int64_t feature_dim = 0;
  int64_t num_classes = 0;
  int64_t labelled_nodes = 0;
  int64_t split_nodes[3] = {0, 0, 0};  // by Split
};

// Reads `inputs` with the final dense ids of `nodes` (IdDictionary::find) and
// writes the node data files into `dir`. Throws Error naming FILE:LINE.
NodeDataSummary write_node_data(const std::filesystem::path& dir, const NodeInputs& inputs, const IdDictionary& nodes);

// The names of the node data files (for replaceable_dataset_file_names()), null-terminated.
const char* const* node_data_file_names();

class NodeData {
 public:
  // Reads what `dir` holds of the node data (all of it is optional) and checks
  // each file's header, size and row count against num_nodes.
  static NodeData open(const std::filesystem::path& dir, int64_t num_nodes);

  bool has_features() const { return features_.defined(); }
  int64_t feature_dim() const { return has_features() ? features_.size(1) : 0; }
  const at::Tensor& features() const { return features_; }  // float32 [N, D]
  bool has_labels() const { return labels_.defined(); }
  int64_t num_classes() const { return num_classes_; }
  const at::Tensor& labels() const { return labels_; }  // int64 [N], -1 unlabelled
  // The nodes of a split (int64), empty when the dataset has none.
  const at::Tensor& nodes(Split split) const { return splits_[static_cast<int>(split)]; }

 private:
  at::Tensor features_, labels_;
  at::Tensor splits_[3];
  int64_t num_classes_ = 0;
};

}  // namespace marius
