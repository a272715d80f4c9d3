// cli/global_options.h - options every marius-run subcommand shares.
#pragma once

#include <string>
#include <vector>

#include "core/dist/world.h"
#include "core/plugin/option_spec.h"
#include "core/plugin/registry.h"

namespace marius::cli {

struct GlobalOptions {
  std::vector<std::string> plugin_paths;  // --plugin, in order
  std::vector<std::string> overrides;     // --set key=value, in order
  std::string log_level = "info";
  WorldFlags world;                       // --world-size, --rank, --master (distributed runs)
};

// A registry holding the built-in plugins, then every --plugin path.
PluginRegistry make_registry(const GlobalOptions& options);

// Parses the --set overrides into typed values by key. Throws Error naming the
// malformed override.
OptionInputs parse_overrides(const std::vector<std::string>& overrides);

}  // namespace marius::cli
