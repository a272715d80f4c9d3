// core/dist/world.cpp - see world.h.
#include "core/dist/world.h"

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "core/error.h"

namespace marius {
namespace {

int64_t parse_integer(const std::string& text, const std::string& name, int64_t low, int64_t high) {
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < low || value > high) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{} = \"{}\": expected an integer in [{}, {}]", name, text, low, high);
  }
  return value;
}

}  // namespace

std::string WorldSpec::describe() const {
  if (!distributed()) return "alone (world size 1)";
  return fmt::format("rank {} of {} ({}), rendezvous at {}:{}", rank, world_size, source, master_addr, master_port);
}

WorldSpec resolve_world(const WorldFlags& flags, const Environment& environment) {
  const Environment env = environment ? environment : [](const char* name) -> const char* { return std::getenv(name); };
  auto variable = [&](const char* name) -> std::optional<std::string> {
    const char* value = env(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  constexpr int64_t kMaxWorld = 1 << 20;
  WorldSpec w;
  // World size and rank come as a pair from one source.
  if (flags.world_size) {
    w.source = "flags";
    if (*flags.world_size < 1 || *flags.world_size > kMaxWorld) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--world-size {}: expected an integer in [1, {}]", *flags.world_size, kMaxWorld);
    }
    w.world_size = static_cast<int32_t>(*flags.world_size);
    if (!flags.rank && w.world_size > 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "--world-size {} needs --rank", w.world_size);
    w.rank = static_cast<int32_t>(flags.rank.value_or(0));
    if (w.rank < 0 || w.rank >= w.world_size) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--rank {}: expected 0 to {} (--world-size {})", *flags.rank, w.world_size - 1,
           w.world_size);
    }
  } else if (flags.rank) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--rank {} needs --world-size", *flags.rank);
  } else {
    const char* size_name = nullptr;
    const char* rank_name = nullptr;
    const char* local_name = nullptr;
    if (variable("WORLD_SIZE")) {
      w.source = "torchrun", size_name = "WORLD_SIZE", rank_name = "RANK", local_name = "LOCAL_RANK";
    } else if (variable("SLURM_NTASKS")) {
      w.source = "slurm", size_name = "SLURM_NTASKS", rank_name = "SLURM_PROCID", local_name = "SLURM_LOCALID";
    }
    if (size_name != nullptr) {
      w.world_size = static_cast<int32_t>(parse_integer(*variable(size_name), size_name, 1, kMaxWorld));
      const std::optional<std::string> rank = variable(rank_name);
      if (!rank) {
        if (w.world_size > 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "{} = {} but {} is not set", size_name, w.world_size, rank_name);
      } else {
        w.rank = static_cast<int32_t>(parse_integer(*rank, rank_name, 0, w.world_size - 1));
      }
      if (const std::optional<std::string> local = variable(local_name)) {
        w.local_rank = static_cast<int32_t>(parse_integer(*local, local_name, 0, kMaxWorld));
      }
    }
  }
  if (!w.distributed()) return w;

  // Where to meet.
  if (flags.master) {
    const std::string& m = *flags.master;
    const size_t colon = m.rfind(':');
    w.master_addr = colon == std::string::npos ? m : m.substr(0, colon);
    if (colon != std::string::npos) w.master_port = static_cast<uint16_t>(parse_integer(m.substr(colon + 1), "--master's port", 1, 65535));
    if (w.master_addr.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "--master \"{}\": expected HOST:PORT", m);
  } else {
    const std::optional<std::string> addr = variable("MASTER_ADDR");
    if (!addr || addr->empty()) {
      fail(MARIUS_ERR_INVALID_ARGUMENT,
           "{} workers ({}) but MASTER_ADDR is not set: set it (and MASTER_PORT) to rank 0's address, or pass --master "
           "HOST:PORT", w.world_size, w.source);
    }
    w.master_addr = *addr;
    if (const std::optional<std::string> port = variable("MASTER_PORT")) {
      w.master_port = static_cast<uint16_t>(parse_integer(*port, "MASTER_PORT", 1, 65535));
    }
  }
  return w;
}

}  // namespace marius
