/*
 * marius/sdk/c_plugin.h - helpers for a plugin written in plain C99 against
 * <marius/abi.h>: error reporting, tensor checks, option lookup and the entry
 * function's version negotiation. Header only (static inline), no C++.
 *
 *   #include "marius/sdk/c_plugin.h"
 *   ...
 *   static const marius_plugin_descriptor kDescriptor = {
 *       sizeof(marius_plugin_descriptor), MARIUS_KIND_SCORE_FUNCTION, 1, 0, "c_dot", "1.0.0", &kVtable.header};
 *   MARIUS_C_PLUGIN_ENTRY(kDescriptor)
 *
 * examples/c-plugin/c_dot.c uses every helper.
 */
#ifndef MARIUS_SDK_C_PLUGIN_H_
#define MARIUS_SDK_C_PLUGIN_H_

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "marius/abi.h"

/* Hands `message` to the host (ctx->host->set_error) and returns `code`. */
static inline marius_status marius_c_error(const marius_call_context* ctx, marius_status code, const char* message) {
  if (ctx != NULL && ctx->host != NULL && ctx->host->set_error != NULL) {
    return ctx->host->set_error(ctx, code, message, (uint64_t)strlen(message));
  }
  return code;
}

/* marius_c_error with a printf-style message (cut at 511 bytes). */
static inline marius_status marius_c_errorf(const marius_call_context* ctx, marius_status code, const char* format,
                                            ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  return marius_c_error(ctx, code, message);
}

/* Nonzero when t is a C-contiguous float32 (one lane) tensor of rank ndim in host memory. */
static inline int marius_c_is_host_f32(const DLTensor* t, int32_t ndim) {
  int64_t expected = 1;
  int32_t i;
  if (t == NULL || t->ndim != ndim || t->dtype.code != kDLFloat || t->dtype.bits != 32 || t->dtype.lanes != 1) return 0;
  if (t->device.device_type != kDLCPU) return 0;
  if (t->strides != NULL) {
    for (i = ndim - 1; i >= 0; --i) {
      if (t->shape[i] != 1 && t->strides[i] != expected) return 0;
      expected *= t->shape[i];
    }
  }
  return 1;
}

/* Number of elements of t. */
static inline int64_t marius_c_numel(const DLTensor* t) {
  int64_t n = 1;
  int32_t i;
  for (i = 0; i < t->ndim; ++i) n *= t->shape[i];
  return n;
}

/* The first float of t, data + byte_offset; read-only and writable views. */
static inline const float* marius_c_cdata(const DLTensor* t) {
  return (const float*)((const char*)t->data + t->byte_offset);
}
static inline float* marius_c_data(DLTensor* t) { return (float*)((char*)t->data + t->byte_offset); }

/* The option `key` of type `type` (MARIUS_OPTION_*), or NULL. The host passes
 * every option the manifest declares, defaults filled in. */
static inline const marius_option* marius_c_option(const marius_options* options, const char* key, uint32_t type) {
  uint32_t i;
  for (i = 0; options != NULL && i < options->count; ++i) {
    const marius_option* o = options->items[i];
    if (o != NULL && o->key != NULL && strcmp(o->key, key) == 0 && o->type == type) return o;
  }
  return NULL;
}

/* Defines the entry function marius_plugin_entry for `desc` (a static
 * marius_plugin_descriptor): refuses a host of another major, or older than the
 * descriptor's abi_min_host_minor, with a message; else hands the descriptor out. */
#define MARIUS_C_PLUGIN_ENTRY(desc)                                                                                  \
  MARIUS_EXPORT marius_status marius_plugin_entry(marius_entry_args* args) {                                         \
    if (args == NULL || args->struct_size < MARIUS_STRUCT_SIZE(marius_entry_args, descriptor)) {                     \
      return MARIUS_ERR_INVALID_ARGUMENT;                                                                            \
    }                                                                                                                \
    if (args->host_abi_major != (desc).abi_major ||                                                                  \
        args->host_abi_minor < (desc).abi_min_host_minor) {                                                          \
      return marius_c_errorf(args->ctx, MARIUS_ERR_VERSION_MISMATCH,                                                 \
                             "plugin '%s' needs marius ABI %u.%u or a newer %u.x, the host speaks %u.%u",            \
                             (desc).name, (unsigned)(desc).abi_major,                                                \
                             (unsigned)(desc).abi_min_host_minor, (unsigned)(desc).abi_major,                        \
                             (unsigned)args->host_abi_major, (unsigned)args->host_abi_minor);                        \
    }                                                                                                                \
    args->descriptor = &(desc);                                                                                      \
    return MARIUS_OK;                                                                                                \
  }

#endif /* MARIUS_SDK_C_PLUGIN_H_ */
