// cli/dist_commands.h - `marius-run launch` (N local workers of a distributed
// run) and `marius-run dist-check` (join the workers, measure their
// collectives); the world flags every command reads (docs/distributed.md).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace marius::cli {

void add_dist_commands(CLI::App& app, GlobalOptions& global, int& exit_code);

}  // namespace marius::cli
