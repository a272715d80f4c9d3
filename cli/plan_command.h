// cli/plan_command.h - `marius-run plan`: an ordering policy's plan for one epoch,
// its partition swaps against the lower bound, and the I/O it implies, as
// core/storage/plan_analysis.h computes them, printed as text or JSON.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace marius::cli {

// Adds the `plan` subcommand to `app`; its callback sets `exit_code`. --set
// key=value options go to the ordering plugin.
void add_plan_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace marius::cli
