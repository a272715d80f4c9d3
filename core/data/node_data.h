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
#include <initializer_list>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/data/dataset_info.h"

namespace marius {

class BinaryWriter;
class IdDictionary;

// The header every node data file starts with, and the kinds it names.
inline constexpr uint64_t kNodeFileHeaderBytes = 32;
enum NodeFileKind : uint32_t { kNodeFeatures32 = 1, kNodeFeatures16 = 2, kNodeLabels = 3, kNodes = 4 };
struct NodeFileHeader {
  uint32_t kind = 0;
  int64_t rows = 0, cols = 0;  // cols: the feature width, or the number of classes (labels)
  uint64_t value_bytes() const;
  uint64_t payload_bytes() const;  // the bytes after the header
};
// Reads and checks `file`'s header: magic, version, a kind among `kinds`, a
// sane shape, and a file size that matches it. Throws Error naming the file.
NodeFileHeader read_node_file_header(const std::filesystem::path& file, std::initializer_list<uint32_t> kinds);
void write_node_file_header(BinaryWriter& out, uint32_t kind, int64_t rows, int64_t cols);
// A whole node data file (header, then rows x (cols or 1) values), fsynced.
void write_node_file(const std::filesystem::path& file, uint32_t kind, int64_t rows, int64_t cols, const void* data);
// The width of `dir`'s features.bin from its header alone; 0 without one.
int64_t feature_width(const std::filesystem::path& dir);

// The file name of a kind ("features.bin", "labels.bin", or split's "<split>_nodes.bin").
const char* node_file_name(uint32_t kind, Split split = Split::kTrain);

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
  // each file's header, size and row count against num_nodes. Without
  // `load_features` the feature rows stay on disk (out of core: FeatureFile
  // reads them); features() is then undefined but has_features() and
  // feature_dim() still describe them.
  static NodeData open(const std::filesystem::path& dir, int64_t num_nodes, bool load_features = true);

  bool has_features() const { return feature_dim_ > 0; }
  int64_t feature_dim() const { return feature_dim_; }
  const at::Tensor& features() const { return features_; }  // float32 [N, D], when loaded
  bool has_labels() const { return labels_.defined(); }
  int64_t num_classes() const { return num_classes_; }
  const at::Tensor& labels() const { return labels_; }  // int64 [N], -1 unlabelled
  // The nodes of a split (int64), empty when the dataset has none.
  const at::Tensor& nodes(Split split) const { return splits_[static_cast<int>(split)]; }

 private:
  at::Tensor features_, labels_;
  int64_t feature_dim_ = 0;
  at::Tensor splits_[3];
  int64_t num_classes_ = 0;
};

}  // namespace marius
