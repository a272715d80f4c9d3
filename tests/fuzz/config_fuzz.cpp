// Fuzz target: the configuration schema over TOML text (a user's config file, or
// the copy a checkpoint stores). The input is the TOML text, then optionally a
// NUL byte and one --set override. A config it accepts must round-trip:
// parse(to_toml()) gives the same TOML again.
#include "core/config/config.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace marius;
  static bool init = (fuzz::quiet(), true);
  (void)init;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parts = fuzz::split(input, std::string_view("\0", 1), 2);
  std::vector<std::string> overrides;
  if (!parts[1].empty()) overrides.emplace_back(parts[1]);
  fuzz::expect_only_marius_errors([&] {
    Config config = Config::parse(std::string(parts[0]), "fuzz.toml", overrides);
    const std::string toml = config.to_toml();
    Config again = Config::parse(toml, "round-trip.toml", {});
    if (again.to_toml() != toml) {
      std::fprintf(stderr, "fuzz: config does not round-trip:\n%s\n---\n%s\n", toml.c_str(), again.to_toml().c_str());
      std::abort();
    }
  });
  return 0;
}
