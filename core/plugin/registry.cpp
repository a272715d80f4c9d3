#include "core/plugin/registry.h"

#include <algorithm>

#include <boost/dll/runtime_symbol_info.hpp>

#include "core/error.h"
#include "core/logging.h"

namespace fs = std::filesystem;

namespace marius {

fs::path PluginRegistry::builtin_directory() {
  fs::path core_library = boost::dll::this_line_location().string();
  return core_library.parent_path() / "marius" / "plugins";
}

void PluginRegistry::add_builtin() {
  std::error_code ec;
  fs::path dir = builtin_directory();
  if (fs::is_directory(dir, ec)) {
    add_path(dir, true);
  } else {
    logger().warn("no built-in plugin directory at {}", dir.string());
  }
}

void PluginRegistry::add_path(const fs::path& path, bool builtin) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(path, ec)) {
      if (item.path().extension() == ".toml") files.push_back(item.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) add_file(file, builtin);
  } else if (fs::exists(path, ec)) {
    add_file(path, builtin);
  } else {
    fail(MARIUS_ERR_NOT_FOUND, "plugin path {}: no such file or directory", path.string());
  }
}

void PluginRegistry::add_file(const fs::path& file, bool builtin) {
  Entry entry;
  entry.file = fs::absolute(file).lexically_normal();
  entry.builtin = builtin;
  try {
    entry.manifest = load_manifest(entry.file);
  } catch (const Error& e) {
    entry.error = e.what();
    logger().warn("{}", e.what());
  }
  if (entry.manifest) {
    for (const Entry& other : entries_) {
      if (other.manifest && other.manifest->name == entry.manifest->name && other.file != entry.file) {
        logger().warn("{} shadows {}", entry.manifest->label(), other.manifest->label());
      }
    }
  }
  entries_.push_back(std::move(entry));
}

const Manifest& PluginRegistry::find(const std::string& name, uint32_t kind) {
  const Entry* match = nullptr;
  if (fs::path(name).extension() == ".toml") {
    fs::path file = fs::absolute(name).lexically_normal();
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.file == file; });
    if (it == entries_.end()) {
      add_file(file, false);
      match = &entries_.back();
    } else {
      match = &*it;
    }
    if (!match->manifest) {
      std::error_code ec;
      throw Error(std::filesystem::exists(file, ec) ? MARIUS_ERR_INVALID_ARGUMENT : MARIUS_ERR_NOT_FOUND, match->error);
    }
  } else {
    for (const Entry& e : entries_) {  // the last one added wins
      if (e.manifest && e.manifest->name == name) match = &e;
    }
    if (match == nullptr) {
      std::string known;
      for (const Entry& e : entries_) {
        if (e.manifest && (kind == 0 || e.manifest->kind == kind)) {
          known += (known.empty() ? "" : ", ") + e.manifest->name;
        }
      }
      fail(MARIUS_ERR_NOT_FOUND, "no {} named '{}' (known: {}; add one with --plugin PATH)",
           kind == 0 ? "plugin" : kind_name(kind), name, known.empty() ? "none" : known);
    }
  }
  if (kind != 0 && match->manifest->kind != kind) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{} is a {}, not a {}", match->manifest->label(),
         kind_name(match->manifest->kind), kind_name(kind));
  }
  return *match->manifest;
}

std::shared_ptr<const LoadedPlugin> PluginRegistry::load(const Manifest& manifest) {
  auto it = loaded_.find(manifest.file);
  if (it != loaded_.end()) return it->second;
  auto plugin = LoadedPlugin::load(manifest);
  loaded_.emplace(manifest.file, plugin);
  return plugin;
}

}  // namespace marius
