#include "cli/plan_command.h"

#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/storage/plan_analysis.h"

namespace marius::cli {

namespace {

struct PlanArgs {
  PlanRequest request;  // ordering, partitions, buffer, seed, device, partition_bytes; options come from --set
  bool json = false;
};

// Throws Error(INVALID_ARGUMENT) naming the option: a shape no policy can plan, or no bytes per partition.
void check_args(const PlanRequest& a) {
  if (a.device < 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "--device must be >= 0, got {}", a.device);
  if (a.device == 1 && a.buffer >= 2) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--device must be >= 2: a device tier of one partition never holds bucket (0,1)");
  }
  if (a.partitions < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "--partitions must be >= 1, got {}", a.partitions);
  if (a.buffer < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "--buffer must be >= 1, got {}", a.buffer);
  if (a.buffer > a.partitions) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--buffer {} exceeds --partitions {}: the buffer holds at most every partition",
         a.buffer, a.partitions);
  }
  if (a.partitions >= 2 && a.buffer < 2) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "--buffer must be >= 2 when --partitions >= 2: a buffer of one partition never holds bucket (0,1)");
  }
  if (a.partition_bytes && *a.partition_bytes == 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "--partition-bytes must be >= 1");
}

void print_text(const PlanAnalysis& a) {
  const Plan& plan = a.plan;
  fmt::print("plan of '{}' ({}) for {} partitions, buffer capacity {}: {} states\n", a.ordering, a.manifest.string(),
             plan.num_partitions, plan.buffer_capacity, plan.states.size());
  for (size_t s = 0; s < plan.states.size(); ++s) {
    const BufferState& state = plan.states[s];
    const StateTraffic& t = a.states[s];
    std::string buckets;
    for (const auto& [lhs, rhs] : state.buckets) buckets += fmt::format(" ({},{})", lhs, rhs);
    fmt::print("state {}: resident [{}]  admitted [{}]  evicted [{}]  {} buckets:{}\n", s,
               fmt::join(state.partitions, " "), fmt::join(t.admitted, " "), fmt::join(t.evicted, " "),
               state.buckets.size(), buckets);
    if (a.device) fmt::print("  device: {} states, {} partitions moved up and back\n", t.device_states, t.device_partitions);
  }
  fmt::print("swaps: {}\nlower bound: {}\n", a.swaps, a.lower_bound);
  if (a.partition_bytes) {
    fmt::print("bytes read: {} ({} partitions of {} bytes)\n", *a.bytes_read, a.partitions_read, *a.partition_bytes);
    fmt::print("bytes written: {} ({} partitions of {} bytes)\n", *a.bytes_written, a.partitions_written,
               *a.partition_bytes);
  }
  if (a.device) {
    fmt::print("device tier of {}: {} states, {} partitions read and as many written back", a.device->capacity,
               a.device->states, a.device->partitions);
    if (a.device->bytes) fmt::print(" ({} bytes each way)", *a.device->bytes);
    fmt::print("\n");
  }
}

// One object, keys in the order docs/ordering.md lists them.
void print_json(const PlanAnalysis& a) {
  using Json = nlohmann::ordered_json;
  const Plan& plan = a.plan;
  Json out = {{"ordering", a.ordering},
              {"manifest", a.manifest.string()},
              {"num_partitions", plan.num_partitions},
              {"buffer_capacity", plan.buffer_capacity},
              {"seed", a.seed},
              {"num_states", plan.states.size()},
              {"swaps", a.swaps},
              {"lower_bound", a.lower_bound}};
  if (a.partition_bytes) {
    out["partition_bytes"] = *a.partition_bytes;
    out["bytes_read"] = *a.bytes_read;
    out["bytes_written"] = *a.bytes_written;
  }
  if (a.device) {
    Json device = {{"capacity", a.device->capacity},
                   {"states", a.device->states},
                   {"partitions_read", a.device->partitions},
                   {"partitions_written", a.device->partitions}};
    if (a.device->bytes) {
      device["bytes_read"] = *a.device->bytes;
      device["bytes_written"] = *a.device->bytes;
    }
    out["device"] = std::move(device);
  }
  Json states = Json::array();
  for (size_t s = 0; s < plan.states.size(); ++s) {
    const StateTraffic& t = a.states[s];
    Json state = {{"partitions", plan.states[s].partitions}, {"admitted", t.admitted}, {"evicted", t.evicted}};
    if (a.device) {
      state["device_states"] = t.device_states;
      state["device_partitions"] = t.device_partitions;
    }
    state["buckets"] = plan.states[s].buckets;  // pairs become [lhs, rhs]
    states.push_back(std::move(state));
  }
  out["states"] = std::move(states);
  fmt::print("{}\n", out.dump(-1, ' ', false, Json::error_handler_t::replace));
}

int run_plan(const GlobalOptions& global, PlanArgs a) {
  check_args(a.request);
  a.request.options = parse_overrides(global.overrides);
  PluginRegistry registry = make_registry(global);
  const PlanAnalysis analysis = analyse_plan(registry, a.request);
  if (a.json) {
    print_json(analysis);
  } else {
    print_text(analysis);
  }
  return 0;
}

}  // namespace

void add_plan_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto a = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "Show an ordering policy's buffer states for one epoch, its swaps and I/O (--set sets its options)");
  cmd->add_option("--partitions", a->request.partitions, "Number of partitions p (>= 1)")->required();
  cmd->add_option("--buffer", a->request.buffer, "Buffer capacity c in partitions (2 <= c <= p, or c = p = 1)")->required();
  cmd->add_option("--ordering", a->request.ordering, "Ordering policy: a plugin name or a manifest path")->required();
  cmd->add_flag("--json", a->json, "Print one JSON object instead of text");
  auto bytes = std::make_shared<uint64_t>(0);
  CLI::Option* bytes_option =
      cmd->add_option("--partition-bytes", *bytes, "Bytes per partition (>= 1): also print the bytes read and written");
  cmd->add_option("--seed", a->request.seed, "Seed of the random stream the policy draws from")->capture_default_str();
  cmd->add_option("--device", a->request.device,
                  "A device tier of d partitions above the buffer: also plan each buffer state for it (as training "
                  "does) and print its states and the partitions it moves");
  cmd->callback([&global, &exit_code, a, bytes, bytes_option] {
    if (bytes_option->count() > 0) a->request.partition_bytes = *bytes;
    exit_code = run_plan(global, *a);
  });
}

}  // namespace marius::cli
