#include "core/data/dataset_fingerprint.h"

#include <zlib.h>

#include <memory>

#include <fmt/format.h>

#include "core/data/binary_file.h"
#include "core/data/dataset.h"
#include "core/data/dataset_format.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

uint32_t crc_of_file(const fs::path& file) {
  BinaryReader in(file);
  constexpr size_t kChunk = size_t{1} << 20;  // reads of this size bypass stdio's buffer
  std::unique_ptr<Bytef[]> chunk(new Bytef[kChunk]);  // not zeroed: each read fills what it returns
  uLong crc = crc32_z(0L, Z_NULL, 0);
  for (size_t n; (n = in.read_some(chunk.get(), kChunk)) > 0;) crc = crc32_z(crc, chunk.get(), n);
  return static_cast<uint32_t>(crc);
}

}  // namespace

bool DatasetFingerprint::same_data(const DatasetFingerprint& o) const {
  return num_nodes == o.num_nodes && num_relations == o.num_relations && num_edges[0] == o.num_edges[0] &&
         num_edges[1] == o.num_edges[1] && num_edges[2] == o.num_edges[2] && num_partitions == o.num_partitions &&
         node_ids_crc == o.node_ids_crc && relation_ids_crc == o.relation_ids_crc;
}

std::string DatasetFingerprint::describe() const {
  return fmt::format("{} ({} nodes, {} relations, {}/{}/{} train/valid/test edges, {} partition{}, dictionary hash {:016x})",
                     dataset, num_nodes, num_relations, num_edges[0], num_edges[1], num_edges[2], num_partitions,
                     num_partitions == 1 ? "" : "s", dictionary_hash());
}

DatasetFingerprint fingerprint_of(const Dataset& dataset) {
  const DatasetInfo& info = dataset.info();
  DatasetFingerprint f;
  f.dataset = dataset.dir().string();
  f.num_nodes = info.num_nodes;
  f.num_relations = info.num_relations;
  for (int s = 0; s < 3; ++s) f.num_edges[s] = info.num_edges[s];
  f.num_partitions = info.num_partitions;
  f.node_ids_crc = crc_of_file(dataset.dir() / kNodeNamesFile);
  f.relation_ids_crc = crc_of_file(dataset.dir() / kRelationNamesFile);
  return f;
}

}  // namespace marius
