// cli/train_commands.h - `marius-run train | eval | export | predict | config`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace marius::cli {

void add_train_commands(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace marius::cli
