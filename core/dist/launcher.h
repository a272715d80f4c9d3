// core/dist/launcher.h - `marius-run launch -n N -- ARGS`: N local workers of
// one distributed run, started the way torchrun starts them (docs/distributed.md).
//
// Each worker is `program ARGS` with WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR
// (127.0.0.1) and MASTER_PORT set; its stdout and stderr come out of the
// launcher's stdout line by line, prefixed "[rank K] ". When a worker fails
// (a non-zero exit, or a signal), the launcher stops the others (SIGTERM, then
// SIGKILL after the grace period), as torchrun does, and exits with the first
// failure's code. SIGINT or SIGTERM to the launcher is passed on to the workers.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace marius {

struct LaunchOptions {
  int32_t workers = 1;
  uint16_t master_port = 0;         // 0: a free port on 127.0.0.1
  std::string program = "/proc/self/exe";
  std::vector<std::string> arguments;  // after the program name
  double grace_seconds = 10;        // between SIGTERM and SIGKILL when stopping the others
  std::FILE* out = stdout;
};

struct LaunchResult {
  int exit_code = 0;        // 0, the first failed worker's exit code, or 128 + its signal
  int32_t failed_rank = -1; // the first worker that failed; -1 when none did
  std::string failure;      // "rank 1 exited with 1", "rank 0 was killed by signal 9"
  uint16_t master_port = 0; // the port the workers met on
};

// Throws Error(INVALID_ARGUMENT) for fewer than 1 worker or no arguments,
// Error(IO) when a worker cannot be started.
LaunchResult launch_local(const LaunchOptions& options);

}  // namespace marius
