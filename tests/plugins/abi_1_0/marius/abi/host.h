/*
 * marius/abi/host.h - services the host offers every plugin.
 *
 * The table lives as long as the process. All of its functions are thread-safe,
 * never throw and may be called from any slot. A plugin that uses a member added
 * in a later minor checks MARIUS_HAS_FIELD(marius_host_api, host, member) first.
 */
#ifndef MARIUS_ABI_HOST_H_
#define MARIUS_ABI_HOST_H_

#include "marius/abi/common.h"

MARIUS_EXTERN_C_BEGIN

typedef struct marius_host_api {
  uint32_t struct_size;
  uint32_t abi_major; /* the host's ABI version */
  uint32_t abi_minor;
  uint32_t reserved;
  const char* host_version;     /* marius release, e.g. "0.1.0" */
  const char* libtorch_version; /* LibTorch the host runs on, e.g. "1.13.1"; "" when none */

  /* Writes a message into the host's log under the plugin's name. `message` need
   * not be NUL-terminated; `length` bytes are read. */
  void (*log)(int32_t level, const char* plugin, const char* message, uint64_t length) MARIUS_NOEXCEPT;

  /* Records the error of the current call and returns `code`, so a slot can end
   * with `return ctx->host->set_error(ctx, MARIUS_ERR_..., msg, len);`. The host
   * copies the message; the plugin keeps ownership of `message`. Calling it more
   * than once in a call keeps the last message. */
  marius_status (*set_error)(const marius_call_context* ctx, marius_status code, const char* message,
                             uint64_t length) MARIUS_NOEXCEPT;

  /* Host memory for data that crosses the boundary and is freed by the other side.
   * alignment is a power of two (0 means 64). alloc returns NULL when out of memory.
   * Memory from alloc is released with free and nothing else. */
  void* (*alloc)(uint64_t size, uint64_t alignment) MARIUS_NOEXCEPT;
  void (*free)(void* pointer) MARIUS_NOEXCEPT;

  /* Random numbers from the call's stream (ctx->rng). Uniform over all 64-bit values. */
  uint64_t (*rng_next_u64)(marius_rng* rng) MARIUS_NOEXCEPT;
  void (*rng_fill_u64)(marius_rng* rng, uint64_t* out, uint64_t count) MARIUS_NOEXCEPT;
} marius_host_api;

#define MARIUS_HOST_API_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_host_api, rng_fill_u64)

MARIUS_EXTERN_C_END

#endif /* MARIUS_ABI_HOST_H_ */
