// cli/plan_command.h - `marius-run plan`: an ordering policy's plan for one epoch,
// its partition swaps against the lower bound, and the I/O it implies.
#pragma once

#include <cstdint>

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace marius::cli {

// The fewest swaps any plan for p partitions and a buffer of c can make:
// ceil((p(p-1)/2 - c(c-1)/2) / (c-1)), and 0 when c >= p. Each swap admits one
// partition, which meets at most c-1 others; the first state covers c(c-1)/2 of the
// p(p-1)/2 pairs. Requires 2 <= c, or c >= p.
int64_t swap_lower_bound(int32_t p, int32_t c);

// Adds the `plan` subcommand to `app`; its callback sets `exit_code`. --set
// key=value options go to the ordering plugin.
void add_plan_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace marius::cli
