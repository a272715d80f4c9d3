// tests/dist_test_util.h - helpers of the tests that join workers over
// 127.0.0.1 (threads of the test process, docs/distributed.md).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <string>

#include "core/dist/world.h"

namespace marius::testing {

// A rendezvous port no other test uses: each process (ctest runs every test
// case in one, two at a time) counts up in a window of 16 ports of its own.
inline uint16_t test_port() {
  static uint16_t next = 0;
  if (next == 0) next = static_cast<uint16_t>(20000 + (::getpid() % 2000) * 16);
  return next++;
}

// Rank `rank` of `size` workers meeting at 127.0.0.1:`port`, as the flags say it.
inline WorldSpec local_world(int32_t size, int32_t rank, uint16_t port) {
  WorldFlags f;
  f.world_size = size, f.rank = rank, f.master = "127.0.0.1:" + std::to_string(port);
  return resolve_world(f, [](const char*) -> const char* { return nullptr; });
}

}  // namespace marius::testing
