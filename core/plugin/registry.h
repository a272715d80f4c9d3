// core/plugin/registry.h - the plugins this process knows: built-in ones and the
// ones named by --plugin.
//
// Manifests are read when added; libraries are loaded on first use and stay
// loaded while the registry or any instance holds them. A manifest that fails to
// parse is kept as an entry with its error, so `plugins list` can show why it is
// unusable, and the host keeps running.
#pragma once

#include <filesystem>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/plugin/loaded_plugin.h"
#include "core/plugin/manifest.h"

namespace marius {

class PluginRegistry {
 public:
  struct Entry {
    std::filesystem::path file;
    std::optional<Manifest> manifest;  // empty when the manifest failed to parse
    std::string error;                 // why it failed
    bool builtin = false;
  };

  // The directory of the built-in plugins: marius/plugins beside the directory
  // holding libmarius_core (lib/marius/plugins in the build and install trees).
  static std::filesystem::path builtin_directory();

  // Adds every manifest of builtin_directory() (nothing if it does not exist).
  void add_builtin();

  // Adds a manifest file, or every *.toml file of a directory (not recursive).
  // Throws Error(NOT_FOUND) when `path` does not exist; bad manifests become
  // entries with an error. A later manifest with the name of an earlier one
  // shadows it (logged as a warning).
  void add_path(const std::filesystem::path& path, bool builtin = false);

  // Stable: entries are never moved, so references to them stay valid.
  const std::deque<Entry>& entries() const { return entries_; }

  // The manifest of the plugin called `name`, or of the manifest file `name`
  // (when it ends in .toml). `kind` (MARIUS_KIND_*, 0 for any) must match.
  // Throws Error(NOT_FOUND) listing the known plugins of that kind; for a .toml
  // path, the manifest's own load error (NOT_FOUND when the file is missing).
  const Manifest& find(const std::string& name, uint32_t kind = 0);

  // Loads the plugin's library (once per manifest file).
  std::shared_ptr<const LoadedPlugin> load(const Manifest& manifest);

 private:
  void add_file(const std::filesystem::path& file, bool builtin);

  std::deque<Entry> entries_;
  std::map<std::filesystem::path, std::shared_ptr<const LoadedPlugin>> loaded_;
};

}  // namespace marius
