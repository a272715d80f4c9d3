// Fuzz target: plugin manifests (TOML declaring a plugin, its ABI range, library
// and options). The input is the manifest file.
#include "core/plugin/manifest.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace marius;
  static bool init = (fuzz::quiet(), true);
  (void)init;
  auto file = fuzz::write_file("plugin.toml", std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz::expect_only_marius_errors([&] {
    Manifest m = load_manifest(file);
    (void)m.label();
  });
  return 0;
}
