// plugins/common/plan_shape.hpp - the (p, c) checks every built-in ordering makes.
#pragma once

#include <cstdint>
#include <string>

#include "marius/sdk/plugin.hpp"

namespace marius::plugins {

// Throws sdk::Error(INVALID_ARGUMENT) unless p >= 1, 1 <= c <= p, and c >= 2 when
// p >= 2 (a buffer of one partition can never hold bucket (0,1)).
inline void require_plan_shape(int32_t p, int32_t c) {
  sdk::require_arg(p >= 1, "num_partitions must be >= 1, got " + std::to_string(p));
  sdk::require_arg(c >= 1 && c <= p, "buffer_capacity must lie in [1, num_partitions = " + std::to_string(p) +
                                         "], got " + std::to_string(c));
  sdk::require_arg(p == 1 || c >= 2, "a buffer of one partition cannot hold bucket (0,1); use capacity >= 2");
}

}  // namespace marius::plugins
