// Fuzz target: partition files (nodes.0.bin / nodes.1.bin) reopened for --resume
// with the generation and checksums a checkpoint names. The first 4 bytes choose
// the shape (partitions 1-4, dim 1-8, nodes 1-64), the generation and whether the
// recorded checksums are right; the rest is the generation's file. restore()
// must refuse a file of the wrong size or content, and what it accepts must read.
#include <zlib.h>

#include "core/plugin/loaded_plugin.h"
#include "core/plugin/storage_backend.h"
#include "core/storage/partition_store.h"
#include "core/storage/row_bytes.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace marius;
  static bool init = (fuzz::quiet(), true);
  (void)init;
  static const StorageBackend backend(
      LoadedPlugin::load(load_manifest(std::string(MARIUS_FUZZ_PLUGIN_DIR) + "/posix.toml")), {});
  if (size < 4) return 0;
  const int32_t p = 1 + data[0] % 4;
  const int64_t dim = 1 + data[1] % 8;
  const int64_t nodes = std::max<int64_t>(p, 1 + data[2] % 64);
  const int32_t generation = data[3] & 1;
  const bool right_crcs = (data[3] & 2) != 0;
  std::string_view file(reinterpret_cast<const char*>(data + 4), size - 4);

  std::vector<int64_t> offsets;
  for (int32_t k = 0; k <= p; ++k) offsets.push_back(nodes * k / p);
  const auto dir = fuzz::scratch_dir() / "partitions";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  fuzz::expect_only_marius_errors([&] {
    { PartitionStore created(backend, dir, offsets, dim, /*create=*/true); }
    fuzz::write_file("partitions/nodes." + std::to_string(generation) + ".bin", file);
    std::vector<uint32_t> crcs;
    for (int32_t k = 0; k < p; ++k) {
      const uint64_t begin = static_cast<uint64_t>(offsets[k]) * node_row_bytes(dim);
      const uint64_t end = static_cast<uint64_t>(offsets[k + 1]) * node_row_bytes(dim);
      uLong crc = crc32_z(0L, Z_NULL, 0);
      if (right_crcs && end <= file.size()) crc = crc32_z(crc, data + 4 + begin, end - begin);
      crcs.push_back(static_cast<uint32_t>(crc));
    }
    PartitionStore store(backend, dir, offsets, dim, /*create=*/false);
    store.restore(generation, crcs);
    std::vector<float> embeddings(static_cast<size_t>(store.max_rows() * dim)), state(embeddings.size());
    for (int32_t k = 0; k < p; ++k) store.read(k, embeddings.data(), state.data());
  });
  return 0;
}
