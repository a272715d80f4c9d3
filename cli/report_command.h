// cli/report_command.h - `marius-run report OUTPUT_DIR`: a training run's
// metrics.jsonl drawn as report.html and PNG figures by the Python package's
// marius.report (matplotlib), run as `python3 -m marius.report`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace marius::cli {

// Adds the `report` subcommand to `app`; its callback sets `exit_code` to the
// reporter's exit status.
void add_report_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace marius::cli
