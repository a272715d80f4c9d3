// Fuzz target: checkpoint files (eval, --resume, export and predict load them).
// A checkpoint ends in a CRC-32 of everything before it, which random bytes would
// almost never match; the target appends the right one, so the fuzzer reaches
// the parser behind the checksum (the checksum's own refusal is pinned down by
// tests/checkpoint_test.cpp). Seeds: tests/fuzz/corpus/checkpoint, real
// checkpoints with their last 4 bytes removed.
#include <zlib.h>

#include <cstring>

#include "core/persist/checkpoint.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace marius;
  static bool init = (fuzz::quiet(), true);
  (void)init;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  uint32_t crc = static_cast<uint32_t>(crc32_z(crc32_z(0L, Z_NULL, 0), data, size));
  bytes.append(reinterpret_cast<const char*>(&crc), sizeof crc);
  auto file = fuzz::write_file("checkpoint.bin", bytes);
  fuzz::expect_only_marius_errors([&] {
    CheckpointInfo info;
    Model model = load_checkpoint(file, &info);
    (void)model;
  });
  return 0;
}
