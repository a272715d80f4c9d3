// core/dist/world.h - who this worker is among how many, and where they meet:
// read the way torchrun and SLURM launch workers (docs/distributed.md).
//
// Sources, first found wins for each field:
//   flags      --world-size N, --rank R, --master HOST:PORT
//   torchrun   WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT
//   SLURM      SLURM_NTASKS, SLURM_PROCID, SLURM_LOCALID (srun sets them;
//              MASTER_ADDR still names the first node, e.g. from
//              `scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1`)
// With none of them the worker is alone (world size 1) and nothing distributed
// happens. MASTER_PORT defaults to 29500, as torchrun's.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace marius {

struct WorldSpec {
  int32_t world_size = 1;
  int32_t rank = 0;
  int32_t local_rank = 0;              // the worker's index on its machine
  std::string master_addr;             // rank 0's address, where the TCPStore listens
  uint16_t master_port = 29500;
  std::string source = "alone";        // "flags", "torchrun", "slurm" or "alone": what set world_size

  bool distributed() const { return world_size > 1; }
  std::string describe() const;  // "rank 1 of 4 (torchrun), rendezvous at 10.0.0.1:29500"
};

struct WorldFlags {
  std::optional<int64_t> world_size;
  std::optional<int64_t> rank;
  std::optional<std::string> master;  // HOST:PORT, or HOST (port 29500)
};

// A variable's value, or null when unset (getenv by default; tests inject one).
using Environment = std::function<const char*(const char*)>;

// Throws Error(INVALID_ARGUMENT) naming the flag or variable at fault: a value
// that is not an integer in range, a rank outside [0, world size), a world size
// above 1 without MASTER_ADDR (or --master), a port outside 1..65535.
WorldSpec resolve_world(const WorldFlags& flags, const Environment& environment = nullptr);

}  // namespace marius
