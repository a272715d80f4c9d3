// core/datasets/catalog.h - the registry of standard datasets.
//
// Each entry says where the publisher puts the files, how to check them, and
// how the files map onto `preprocess`'s inputs (the layout and its keys). The
// built-in registry is core/datasets/registry.toml, compiled in; another file
// in the same form can replace it. docs/datasets.md documents every key.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace marius {

// One file the publisher serves.
struct DatasetDownload {
  std::string url;
  std::string file;      // its name on disk (from the URL's path unless given)
  std::string sha256;    // lowercase hex, or empty
  std::string git_blob;  // git's object id of the file (SHA-1 of "blob SIZE\0" + bytes), or empty
  bool verifiable() const { return !sha256.empty() || !git_blob.empty(); }
};

// How the publisher lays the data out (see docs/datasets.md):
//   kg            train/valid/test triple files (TSV), optional false triples
//   snap          one edge list, split at random
//   ogb-link      OGB's link-prediction zip: split/<split>/{train,valid,test}.pt
//   ogb-node      OGB's node-property zip: raw/*.csv.gz, split/<split>/*.csv.gz
//   ogb-node-npz  the same with raw/data.npz and raw/node-label.npz (papers100M)
//   planetoid     Planetoid's ind.NAME.{x,tx,allx,y,ty,ally,graph,test.index}
enum class DatasetLayout { kKg, kSnap, kOgbLink, kOgbNode, kOgbNodeNpz, kPlanetoid };

struct DatasetEntry {
  std::string name;      // what `fetch NAME` takes: lowercase, e.g. "ogbl-ddi"
  std::string title;
  std::string task;      // "link-prediction" or "node-classification"
  DatasetLayout layout = DatasetLayout::kKg;
  std::string publisher;
  std::string counts;
  std::string licence;
  std::string citation;
  std::vector<DatasetDownload> downloads;
  // kg: paths below the unpacked downloads; false triples optional.
  std::string train, valid, test, valid_negatives, test_negatives;
  std::string columns = "hrt";
  std::string ids = "string";
  // snap: the edge list, its delimiter and the random split.
  std::string edges;
  std::string delimiter = "tab";
  std::array<double, 3> fractions = {0.9, 0.05, 0.05};
  // ogb-*: the archive's top directory, the split's name and (ogb-link) the
  // keys of the split dicts: "edge", "source_target" or "head_relation_tail".
  std::string root, split, keys;
  // planetoid: the files' common prefix, e.g. "ind.cora".
  std::string prefix;
  // How the generated config evaluates: "filtered" (all nodes), "given"
  // (the published negatives) or "classification" (false triples), and Hits@K.
  std::string protocol = "filtered";
  std::string hits_at;
};

const char* layout_name(DatasetLayout layout);

// The built-in registry.
const std::vector<DatasetEntry>& builtin_datasets();

// Reads a registry file (TOML, registry.toml's form). Throws
// Error(INVALID_ARGUMENT) naming FILE and the entry and key at fault: an
// unknown key, a missing url, a malformed sha256, a layout without its keys.
std::vector<DatasetEntry> read_registry(const std::filesystem::path& file);
std::vector<DatasetEntry> parse_registry(const std::string& text, const std::string& where);

// The entry named `name` (case-insensitive), or Error(NOT_FOUND) listing the names.
const DatasetEntry& find_dataset(const std::vector<DatasetEntry>& registry, const std::string& name);

}  // namespace marius
