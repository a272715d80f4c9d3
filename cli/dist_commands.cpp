#include "cli/dist_commands.h"

#include <chrono>
#include <memory>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/dist/cluster.h"
#include "core/dist/launcher.h"
#include "core/dist/world.h"
#include "core/error.h"
#include "marius/abi.h"

namespace marius::cli {
namespace {

struct LaunchArgs {
  int32_t workers = 2;
  uint16_t master_port = 0;
  double grace = 10;
  std::vector<std::string> command;
};

struct CheckArgs {
  std::vector<int64_t> sizes = {1 << 10, 1 << 16, 1 << 20, 1 << 24};  // bytes
  int32_t iterations = 20;
  double timeout = 60;
};

// Joins the world, then all-reduces float32 tensors of each size: rank 0
// prints one JSON object with each size's mean latency and bus bandwidth
// (2 (n - 1) / n of the bytes per worker, as nccl-tests reports it).
int run_check(const GlobalOptions& global, const CheckArgs& a) {
  const WorldSpec world = resolve_world(global.world);
  if (!world.distributed()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "dist-check: one worker alone; start several (marius-run launch -n 2 -- "
         "dist-check, torchrun-style variables, or --world-size/--rank/--master)");
  }
  const std::vector<Agreement> agreements = {
      {"marius build", fmt::format("marius {} (plugin ABI {}.{})", MARIUS_VERSION_STRING, MARIUS_ABI_MAJOR, MARIUS_ABI_MINOR)},
      {"dist-check command line", fmt::format("sizes {}\niterations {}", fmt::join(a.sizes, ","), a.iterations)}};
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(a.timeout * 1000));
  std::unique_ptr<Cluster> cluster = Cluster::join(world, agreements, timeout);
  nlohmann::json rows = nlohmann::json::array();
  const double n = world.world_size;
  for (int64_t bytes : a.sizes) {
    at::Tensor t = at::full({std::max<int64_t>(1, bytes / 4)}, static_cast<float>(world.rank + 1), at::kFloat);
    cluster->all_reduce_sum(t);  // warm-up, and a check of the sum
    const float expected = static_cast<float>(n * (n + 1) / 2);
    if (t[0].item<float>() != expected) {
      fail(MARIUS_ERR_INTERNAL, "dist-check: all-reduce gave {} instead of {}", t[0].item<float>(), expected);
    }
    cluster->take_stats();
    for (int32_t i = 0; i < a.iterations; ++i) cluster->all_reduce_sum(t);
    const CommStats s = cluster->take_stats();
    const double latency = s.seconds / a.iterations;
    rows.push_back({{"bytes", t.numel() * 4},
                    {"seconds", latency},
                    {"bus_gbit_per_sec", static_cast<double>(s.bytes_sent) / a.iterations * 8 / latency / 1e9},
                    {"bytes_sent_per_call", s.bytes_sent / static_cast<uint64_t>(a.iterations)}});
  }
  cluster->barrier();
  if (world.rank == 0) {
    fmt::print("{}\n", nlohmann::json{{"world_size", world.world_size}, {"backend", "gloo"}, {"all_reduce", rows}}.dump());
  }
  return 0;
}

}  // namespace

void add_dist_commands(CLI::App& app, GlobalOptions& global, int& exit_code) {
  app.add_option("--world-size", global.world.world_size,
                 "Workers of a distributed run (else WORLD_SIZE, or SLURM_NTASKS; 1 when none is set)");
  app.add_option("--rank", global.world.rank, "This worker's rank, 0 to world size - 1 (else RANK or SLURM_PROCID)");
  app.add_option("--master", global.world.master,
                 "HOST:PORT of rank 0's rendezvous store (else MASTER_ADDR and MASTER_PORT, port 29500)");

  auto launch = std::make_shared<LaunchArgs>();
  auto* launch_cmd = app.add_subcommand(
      "launch", "Start N local workers of a distributed run: marius-run launch -n N -- COMMAND ARGS (docs/distributed.md)");
  launch_cmd->add_option("-n,--workers", launch->workers, "Workers to start")->capture_default_str()->check(CLI::Range(1, 1024));
  launch_cmd->add_option("--master-port", launch->master_port, "Rendezvous port on 127.0.0.1 (default: a free one)");
  launch_cmd->add_option("--grace", launch->grace, "Seconds between SIGTERM and SIGKILL when a worker fails")
      ->capture_default_str();
  launch_cmd->add_option("command", launch->command, "The marius-run command each worker runs, after --")->required();
  launch_cmd->callback([&exit_code, launch] {
    LaunchOptions o;
    o.workers = launch->workers;
    o.master_port = launch->master_port;
    o.grace_seconds = launch->grace;
    o.arguments = launch->command;
    const LaunchResult r = launch_local(o);
    if (r.failed_rank >= 0) {
      fmt::print(stderr, "marius-run launch: {}; stopped the other workers\n", r.failure);
    }
    exit_code = r.exit_code;
  });

  auto check = std::make_shared<CheckArgs>();
  auto* check_cmd = app.add_subcommand(
      "dist-check", "Join the workers (comparing their builds) and time all-reduces of a few sizes; rank 0 prints JSON");
  check_cmd->add_option("--sizes", check->sizes, "Bytes per all-reduce")->delimiter(',')->capture_default_str();
  check_cmd->add_option("--iterations", check->iterations, "All-reduces timed per size")->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  check_cmd->add_option("--timeout", check->timeout, "Seconds to wait for the other workers at each step")
      ->capture_default_str()->check(CLI::PositiveNumber);
  check_cmd->callback([&global, &exit_code, check] { exit_code = run_check(global, *check); });
}

}  // namespace marius::cli
