#include "core/run/allocator.h"

#include <malloc.h>

#include <cstdlib>
#include <mutex>

#include "core/logging.h"

namespace marius {

namespace {

// Blocks up to this size are served from the heap and freed memory is kept up
// to this much above the heap's top: larger than any per-batch temporary of a
// sane configuration, and still small enough that a one-off giant allocation
// (a whole embedding table) is mapped and unmapped on its own.
constexpr int kThresholdBytes = 1 << 30;

}  // namespace

void keep_freed_memory_for_reuse() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const char* variable : {"GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}) {
      if (std::getenv(variable) != nullptr) {
        logger().debug("allocator: {} is set; leaving malloc's thresholds as they are", variable);
        return;
      }
    }
#if defined(__GLIBC__)
    // mallopt returns 1 on success; sanitizers' allocators ignore it and return 0 or -1.
    const bool ok = mallopt(M_MMAP_THRESHOLD, kThresholdBytes) == 1 && mallopt(M_TRIM_THRESHOLD, kThresholdBytes) == 1;
    logger().debug("allocator: mmap and trim thresholds {}", ok ? "raised to 1 GiB" : "left as they are");
#endif
  });
}

}  // namespace marius
