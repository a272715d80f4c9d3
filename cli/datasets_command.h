// cli/datasets_command.h - `marius-run datasets list | fetch NAME`: the
// registry of standard datasets (core/datasets/catalog.h), fetched, verified,
// converted and preprocessed (core/datasets/fetch.h).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace marius::cli {

// Adds the `datasets` subcommand (with `list` and `fetch`) to `app`; its
// callbacks set `exit_code`.
void add_datasets_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace marius::cli
