#include "cli/global_options.h"

#include "core/error.h"

namespace marius::cli {

PluginRegistry make_registry(const GlobalOptions& options) {
  PluginRegistry registry;
  registry.add_builtin();
  for (const std::string& path : options.plugin_paths) registry.add_path(path);
  return registry;
}

OptionInputs parse_overrides(const std::vector<std::string>& overrides) {
  OptionInputs inputs;
  for (const std::string& item : overrides) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--set {}: expected key=value", item);
    }
    inputs[item.substr(0, eq)] = parse_value_text(item.substr(eq + 1));
  }
  return inputs;
}

}  // namespace marius::cli
