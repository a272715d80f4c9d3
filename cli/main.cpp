// marius-run: the command-line front end of marius.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/data_commands.h"
#include "cli/dist_commands.h"
#include "cli/global_options.h"
#include "cli/plan_command.h"
#include "cli/plugins_command.h"
#include "cli/report_command.h"
#include "cli/similar_command.h"
#include "cli/datasets_command.h"
#include "cli/train_commands.h"
#include "core/error.h"
#include "core/logging.h"
#include "marius/abi.h"

int main(int argc, char** argv) {
  marius::cli::GlobalOptions global;
  int exit_code = 0;
  CLI::App app{"marius: graph embeddings for graphs larger than memory", "marius-run"};
  app.set_version_flag("--version",
                       fmt::format("marius-run {} (plugin ABI {}.{})", MARIUS_VERSION_STRING, MARIUS_ABI_MAJOR,
                                   MARIUS_ABI_MINOR));
  app.add_option("--plugin", global.plugin_paths,
                 "A plugin manifest or a directory of manifests (repeatable; added after the built-in plugins)");
  app.add_option("--set", global.overrides, "Override a configuration or plugin option: key=value (repeatable)");
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand

  marius::cli::add_train_commands(app, global, exit_code);
  marius::cli::add_data_commands(app, global, exit_code);
  marius::cli::add_plugins_command(app, global, exit_code);
  marius::cli::add_plan_command(app, global, exit_code);
  marius::cli::add_dist_commands(app, global, exit_code);
  marius::cli::add_report_command(app, global, exit_code);
  marius::cli::add_similar_command(app, global, exit_code);
  marius::cli::add_datasets_command(app, global, exit_code);
  app.parse_complete_callback([&] { marius::set_log_level(global.log_level); });
  // A subcommand's --help lists only its own options: name the global ones and the exit statuses there too.
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->footer(
        "Global options (before or after the subcommand): --plugin PATH, --set key=value, --log-level LEVEL, "
        "--version.\nExit status: 0 success; 1 an error the message explains (input, files, resources, training "
        "stopped); 2 a usage error on the command line; 3 an internal error (a bug: please report it); 130 "
        "interrupted (Ctrl-C).");
  }

  // Exit statuses (docs: README, "Exit status"): 0 success, 1 error, 2 usage, 3 internal, 130 interrupted.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);  // prints help, the version or the usage error
    return status == 0 ? 0 : 2;
  } catch (const marius::Error& e) {
    if (e.code() == MARIUS_ERR_INTERNAL) {
      fmt::print(stderr, "marius-run: internal error: {}\n", e.what());
      return 3;
    }
    fmt::print(stderr, "marius-run: error: {}\n", e.what());
    return e.code() == MARIUS_ERR_CANCELLED ? 130 : 1;  // 130: stopped by SIGINT, as shells report it
  } catch (const std::exception& e) {
    fmt::print(stderr, "marius-run: internal error: {}\n", e.what());
    return 3;
  }
  return exit_code;
}
