// core/plugin/manifest.h - a plugin's TOML manifest, parsed and validated.
//
// docs/plugins.md documents the format. A manifest is read and checked without
// loading its library, so a broken or incompatible plugin is refused before any
// of its code runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/plugin/option_spec.h"

namespace marius {

// The manifest schema versions this host reads.
inline constexpr int64_t kManifestVersion = 1;

// A host or plugin ABI version.
struct AbiVersion {
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string str() const { return std::to_string(major) + "." + std::to_string(minor); }
};

// A set of ABI versions written like ">=1.0, <2.0": comma-separated bounds, each
// one of >=, >, <=, <, = followed by MAJOR or MAJOR.MINOR.
class AbiRange {
 public:
  // Throws Error(INVALID_ARGUMENT) describing the first malformed bound.
  static AbiRange parse(const std::string& text);
  bool contains(AbiVersion version) const;
  const std::string& text() const { return text_; }

 private:
  struct Bound {
    std::string op;
    AbiVersion version;
  };
  std::string text_;
  std::vector<Bound> bounds_;
};

// The kind names used in manifests: score_function, negative_sampler,
// ordering_policy, storage_backend. kind_from_name returns 0 for others.
const char* kind_name(uint32_t kind);
uint32_t kind_from_name(const std::string& name);

struct Manifest {
  std::filesystem::path file;  // absolute path of the manifest
  int64_t manifest_version = kManifestVersion;
  std::string name;
  uint32_t kind = 0;           // MARIUS_KIND_*
  std::string version;
  std::string description;
  AbiRange abi;
  std::filesystem::path library;  // absolute; given relative to the manifest
  std::string entry_symbol;
  std::vector<std::string> devices;  // "cpu", "cuda"
  bool reentrant = false;
  bool deterministic = false;
  std::vector<OptionSpec> options;

  // "plugin 'name' (/path/to/manifest.toml)", the prefix of messages about it.
  std::string label() const;
};

// Reads and validates a manifest. Throws Error naming the file, the line and the
// key at fault: NOT_FOUND for a missing file, INVALID_ARGUMENT for bad TOML,
// unknown keys, wrong types, unknown kinds or bad option declarations.
Manifest load_manifest(const std::filesystem::path& file);

}  // namespace marius
