#include "cli/data_commands.h"

namespace marius::cli {

void add_data_commands(CLI::App& app, const GlobalOptions&, int& exit_code) {
  (void)app;
  (void)exit_code;
}

}  // namespace marius::cli
