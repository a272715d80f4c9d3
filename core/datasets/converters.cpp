#include "core/datasets/converters.h"

#include "core/datasets/converter_support.h"
#include "core/error.h"

namespace marius {

namespace fs = std::filesystem;

namespace {

PreprocessOptions convert_kg(const DatasetEntry& e, const LocateFile& locate) {
  PreprocessOptions o;
  o.train = locate(e.train);
  if (!e.valid.empty()) o.valid = locate(e.valid);
  if (!e.test.empty()) o.test = locate(e.test);
  o.format.delimiter = parse_delimiter(e.delimiter);
  o.format.columns = ColumnLayout::parse(e.columns);
  o.format.ids = parse_id_kind(e.ids);
  if (!e.valid_negatives.empty()) o.negatives[1] = locate(e.valid_negatives);
  if (!e.test_negatives.empty()) o.negatives[2] = locate(e.test_negatives);
  o.negatives_layout = NegativesLayout::kShared;
  return o;
}

PreprocessOptions convert_snap(const DatasetEntry& e, const LocateFile& locate) {
  PreprocessOptions o;
  o.input = locate(e.edges);
  o.split = e.fractions;
  o.format.delimiter = parse_delimiter(e.delimiter);
  o.format.columns = ColumnLayout::parse("ht");
  o.format.ids = IdKind::kInteger;
  return o;
}

}  // namespace

PreprocessOptions convert_dataset(const DatasetEntry& entry, const LocateFile& locate, const fs::path& work) {
  fs::create_directories(work);
  switch (entry.layout) {
    case DatasetLayout::kKg: return convert_kg(entry, locate);
    case DatasetLayout::kSnap: return convert_snap(entry, locate);
    case DatasetLayout::kOgbLink: return convert_ogb_link(entry, locate, work);
    case DatasetLayout::kOgbNode: return convert_ogb_node(entry, locate, work);
    case DatasetLayout::kOgbNodeNpz: return convert_ogb_node_npz(entry, locate, work);
    case DatasetLayout::kPlanetoid: return convert_planetoid(entry, locate, work);
  }
  fail(MARIUS_ERR_INTERNAL, "unknown layout");
}

}  // namespace marius
