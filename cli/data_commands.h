// cli/data_commands.h - `marius-run preprocess` and `marius-run generate`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace marius::cli {

// Adds the `preprocess` and `generate` subcommands; their callbacks set exit_code.
void add_data_commands(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace marius::cli
