// core/plugin/plugin_instance.h - one instance of a plugin: options resolved
// against the manifest, `create` called, `destroy` called on destruction.
#pragma once

#include <memory>
#include <string>

#include "core/plugin/loaded_plugin.h"
#include "core/plugin/option_spec.h"

namespace marius {

class PluginInstance {
 public:
  // Checks that the plugin is of `kind` (MARIUS_KIND_*), validates `inputs`
  // against the manifest's options (errors name the manifest and the option) and
  // creates the instance (a failing create is reported with the plugin's
  // message). The instance keeps `plugin` loaded.
  PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, uint32_t kind, const OptionInputs& inputs);
  virtual ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const LoadedPlugin& plugin() const { return *plugin_; }
  const Manifest& manifest() const { return plugin_->manifest(); }
  const std::string& label() const { return label_; }
  const ResolvedOptions& options() const { return options_; }
  void* handle() const { return handle_; }

 private:
  std::shared_ptr<const LoadedPlugin> plugin_;
  std::string label_;
  ResolvedOptions options_;
  void* handle_ = nullptr;
};

}  // namespace marius
