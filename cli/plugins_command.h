// cli/plugins_command.h - `marius-run plugins list|inspect|check`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace marius::cli {

// Adds the `plugins` subcommand and its three subcommands to `app`. Their
// callbacks set `exit_code`.
void add_plugins_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace marius::cli
