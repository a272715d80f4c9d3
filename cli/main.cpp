// marius-run: the command-line front end of marius.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/data_commands.h"
#include "cli/dist_commands.h"
#include "cli/global_options.h"
#include "cli/plan_command.h"
#include "cli/plugins_command.h"
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
  app.parse_complete_callback([&] { marius::set_log_level(global.log_level); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const marius::Error& e) {
    fmt::print(stderr, "marius-run: error: {}\n", e.what());
    return e.code() == MARIUS_ERR_CANCELLED ? 130 : 1;  // 130: stopped by SIGINT, as shells report it
  } catch (const std::exception& e) {
    fmt::print(stderr, "marius-run: internal error: {}\n", e.what());
    return 1;
  }
  return exit_code;
}
