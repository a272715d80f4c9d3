#include "cli/plan_command.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/plugin/host_services.h"
#include "core/plugin/ordering_policy.h"
#include "core/storage/tier_plan.h"

namespace marius::cli {

namespace {

struct PlanArgs {
  int32_t partitions = 0;
  int32_t buffer = 0;
  std::string ordering;
  bool json = false;
  std::optional<uint64_t> partition_bytes;  // --partition-bytes, when given
  uint64_t seed = 0;
  int32_t device = 0;  // --device: the device tier's capacity d (0: none)
};

// The device tier within each host state: its sub-states and the partitions it
// moves up (every one is written back before the host state ends).
struct DeviceTraffic {
  std::vector<size_t> states;          // per host state
  std::vector<uint64_t> partitions;    // per host state: partitions read (and written)
  size_t total_states = 0;
  uint64_t total_partitions = 0;
};

// What one state changes: the partitions it loads and those the state before held
// and it no longer does (state 0 loads all of its partitions).
struct Transition {
  std::vector<int32_t> admitted;
  std::vector<int32_t> evicted;
};

std::vector<Transition> transitions(const Plan& plan) {
  std::vector<Transition> out;
  const std::vector<int32_t> none;
  for (size_t s = 0; s < plan.states.size(); ++s) {
    const std::vector<int32_t>& now = plan.states[s].partitions;
    const std::vector<int32_t>& before = s == 0 ? none : plan.states[s - 1].partitions;
    auto in = [](const std::vector<int32_t>& set, int32_t q) { return std::find(set.begin(), set.end(), q) != set.end(); };
    Transition t;
    for (int32_t q : now) {
      if (!in(before, q)) t.admitted.push_back(q);
    }
    for (int32_t q : before) {
      if (!in(now, q)) t.evicted.push_back(q);
    }
    out.push_back(std::move(t));
  }
  return out;
}

// The I/O of an epoch with partitions of `partition_bytes`: every admitted partition
// is read, every evicted one written back, and the last state's written at the end.
struct Traffic {
  uint64_t partitions_read = 0;
  uint64_t partitions_written = 0;
};

Traffic traffic(const Plan& plan, const std::vector<Transition>& moves) {
  Traffic t;
  for (const Transition& m : moves) {
    t.partitions_read += m.admitted.size();
    t.partitions_written += m.evicted.size();
  }
  t.partitions_written += plan.states.back().partitions.size();
  return t;
}

uint64_t times_bytes(uint64_t partitions, uint64_t partition_bytes, const char* what) {
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(partitions, partition_bytes, &bytes)) {
    fail(MARIUS_ERR_OUT_OF_RANGE, "--partition-bytes {}: {} {} partitions overflows 64 bits", partition_bytes, what,
         partitions);
  }
  return bytes;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20) {
      out += fmt::format("\\u{:04x}", ch);
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

// Throws Error(INVALID_ARGUMENT) naming the option: a shape no policy can plan, or no bytes per partition.
void check_args(const PlanArgs& a) {
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

DeviceTraffic device_traffic(const OrderingPolicy& policy, CallContext& ctx, const Plan& plan, int32_t device) {
  DeviceTraffic t;
  for (const BufferState& host : plan.states) {
    const Plan sub = plan_within(policy, ctx, host, plan.num_partitions, device);
    uint64_t moved = 0;
    if (!sub.states.empty()) moved = sub.states.front().partitions.size() + static_cast<uint64_t>(sub.swaps());
    t.states.push_back(sub.states.size());
    t.partitions.push_back(moved);
    t.total_states += sub.states.size();
    t.total_partitions += moved;
  }
  return t;
}

void print_text(const Manifest& m, const PlanArgs& a, const Plan& plan, const std::vector<Transition>& moves,
                const std::optional<DeviceTraffic>& device) {
  fmt::print("plan of '{}' ({}) for {} partitions, buffer capacity {}: {} states\n", m.name, m.file.string(),
             plan.num_partitions, plan.buffer_capacity, plan.states.size());
  for (size_t s = 0; s < plan.states.size(); ++s) {
    const BufferState& state = plan.states[s];
    std::string buckets;
    for (const auto& [lhs, rhs] : state.buckets) buckets += fmt::format(" ({},{})", lhs, rhs);
    fmt::print("state {}: resident [{}]  admitted [{}]  evicted [{}]  {} buckets:{}\n", s,
               fmt::join(state.partitions, " "), fmt::join(moves[s].admitted, " "), fmt::join(moves[s].evicted, " "),
               state.buckets.size(), buckets);
    if (device) {
      fmt::print("  device: {} states, {} partitions moved up and back\n", device->states[s], device->partitions[s]);
    }
  }
  fmt::print("swaps: {}\nlower bound: {}\n", plan.swaps(), swap_lower_bound(plan.num_partitions, plan.buffer_capacity));
  if (a.partition_bytes) {
    Traffic t = traffic(plan, moves);
    fmt::print("bytes read: {} ({} partitions of {} bytes)\n", times_bytes(t.partitions_read, *a.partition_bytes, "reading"),
               t.partitions_read, *a.partition_bytes);
    fmt::print("bytes written: {} ({} partitions of {} bytes)\n",
               times_bytes(t.partitions_written, *a.partition_bytes, "writing"), t.partitions_written,
               *a.partition_bytes);
  }
  if (device) {
    fmt::print("device tier of {}: {} states, {} partitions read and as many written back", a.device,
               device->total_states, device->total_partitions);
    if (a.partition_bytes) {
      fmt::print(" ({} bytes each way)", times_bytes(device->total_partitions, *a.partition_bytes, "moving"));
    }
    fmt::print("\n");
  }
}

void print_json(const Manifest& m, const PlanArgs& a, const Plan& plan, const std::vector<Transition>& moves,
                const std::optional<DeviceTraffic>& device) {
  std::string out = fmt::format(
      "{{\"ordering\":{},\"manifest\":{},\"num_partitions\":{},\"buffer_capacity\":{},\"seed\":{},"
      "\"num_states\":{},\"swaps\":{},\"lower_bound\":{}",
      json_string(m.name), json_string(m.file.string()), plan.num_partitions, plan.buffer_capacity, a.seed,
      plan.states.size(), plan.swaps(), swap_lower_bound(plan.num_partitions, plan.buffer_capacity));
  if (a.partition_bytes) {
    Traffic t = traffic(plan, moves);
    out += fmt::format(",\"partition_bytes\":{},\"bytes_read\":{},\"bytes_written\":{}", *a.partition_bytes,
                       times_bytes(t.partitions_read, *a.partition_bytes, "reading"),
                       times_bytes(t.partitions_written, *a.partition_bytes, "writing"));
  }
  if (device) {
    out += fmt::format(",\"device\":{{\"capacity\":{},\"states\":{},\"partitions_read\":{},\"partitions_written\":{}",
                       a.device, device->total_states, device->total_partitions, device->total_partitions);
    if (a.partition_bytes) {
      const uint64_t bytes = times_bytes(device->total_partitions, *a.partition_bytes, "moving");
      out += fmt::format(",\"bytes_read\":{},\"bytes_written\":{}", bytes, bytes);
    }
    out += "}";
  }
  out += ",\"states\":[";
  for (size_t s = 0; s < plan.states.size(); ++s) {
    const BufferState& state = plan.states[s];
    out += fmt::format("{}{{\"partitions\":[{}],\"admitted\":[{}],\"evicted\":[{}],", s ? "," : "",
                       fmt::join(state.partitions, ","), fmt::join(moves[s].admitted, ","),
                       fmt::join(moves[s].evicted, ","));
    if (device) {
      out += fmt::format("\"device_states\":{},\"device_partitions\":{},", device->states[s], device->partitions[s]);
    }
    out += "\"buckets\":[";
    for (size_t b = 0; b < state.buckets.size(); ++b) {
      out += fmt::format("{}[{},{}]", b ? "," : "", state.buckets[b].first, state.buckets[b].second);
    }
    out += "]}";
  }
  out += "]}\n";
  fmt::print("{}", out);
}

int run_plan(const GlobalOptions& global, const PlanArgs& a) {
  check_args(a);
  PluginRegistry registry = make_registry(global);
  const Manifest& manifest = registry.find(a.ordering, MARIUS_KIND_ORDERING_POLICY);
  OrderingPolicy policy(registry.load(manifest), parse_overrides(global.overrides));
  RandomStream stream(a.seed);
  CallContext ctx(policy.label(), stream.get());
  Plan plan = policy.plan(ctx, a.partitions, a.buffer);  // validated
  std::vector<Transition> moves = transitions(plan);
  std::optional<DeviceTraffic> device;
  if (a.device > 0) device = device_traffic(policy, ctx, plan, a.device);
  if (a.json) {
    print_json(manifest, a, plan, moves, device);
  } else {
    print_text(manifest, a, plan, moves, device);
  }
  return 0;
}

}  // namespace

int64_t swap_lower_bound(int32_t p, int32_t c) {
  if (c >= p) return 0;
  const int64_t pairs = static_cast<int64_t>(p) * (p - 1) / 2 - static_cast<int64_t>(c) * (c - 1) / 2;
  return (pairs + c - 2) / (c - 1);
}

void add_plan_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto a = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "Show an ordering policy's buffer states for one epoch, its swaps and I/O (--set sets its options)");
  cmd->add_option("--partitions", a->partitions, "Number of partitions p (>= 1)")->required();
  cmd->add_option("--buffer", a->buffer, "Buffer capacity c in partitions (2 <= c <= p, or c = p = 1)")->required();
  cmd->add_option("--ordering", a->ordering, "Ordering policy: a plugin name or a manifest path")->required();
  cmd->add_flag("--json", a->json, "Print one JSON object instead of text");
  auto bytes = std::make_shared<uint64_t>(0);
  CLI::Option* bytes_option =
      cmd->add_option("--partition-bytes", *bytes, "Bytes per partition (>= 1): also print the bytes read and written");
  cmd->add_option("--seed", a->seed, "Seed of the random stream the policy draws from")->capture_default_str();
  cmd->add_option("--device", a->device,
                  "A device tier of d partitions above the buffer: also plan each buffer state for it (as training "
                  "does) and print its states and the partitions it moves");
  cmd->callback([&global, &exit_code, a, bytes, bytes_option] {
    if (bytes_option->count() > 0) a->partition_bytes = *bytes;
    exit_code = run_plan(global, *a);
  });
}

}  // namespace marius::cli
