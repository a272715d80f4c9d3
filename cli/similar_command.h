// cli/similar_command.h - `marius-run similar CONFIG --node ID ...`: the nodes
// nearest to given nodes in embedding space, by exact search
// (core/model/nearest_nodes.h) or FAISS's IVF index (core/model/ivf_index.h),
// which is cached in output.dir/index/ for later queries.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace marius::cli {

// Adds the `similar` subcommand to `app`; its callback sets `exit_code`.
void add_similar_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace marius::cli
