/*
 * marius/abi/common.h - the vocabulary every part of the marius C ABI shares.
 *
 * Version 1.2 of the plugin ABI (1.1 added the layer kind, marius/abi/layer.h; 1.2 score
 * decompositions into a relation operator and a comparator, marius/abi/score.h). Pure C99; also compiles as C++.
 *
 * Rules that hold for every struct of the ABI (docs/abi.md has the full text):
 *  - The first member is `uint32_t struct_size`, set by whoever fills the struct
 *    to sizeof() of the struct as that party was compiled. A reader only touches
 *    members that lie entirely below struct_size (MARIUS_HAS_FIELD).
 *  - Structs only grow at the end, within a major version. Members are never
 *    removed, reordered or retyped; a changed meaning is a new member.
 *  - Fields are fixed-width integers, doubles, pointers and other ABI structs.
 *    No bool, no enum-typed fields (constants are #defines stored in int32 or
 *    uint32 fields), size_t never appears (64-bit targets only).
 *  - Arrays of structs are passed as arrays of pointers, so that an element
 *    type that grows does not change the array's stride.
 *  - Strings are UTF-8 and NUL-terminated unless a length travels beside them.
 */
#ifndef MARIUS_ABI_COMMON_H_
#define MARIUS_ABI_COMMON_H_

#include <stddef.h>
#include <stdint.h>

#include <dlpack/dlpack.h>

/* The ABI version this header describes. Major: incompatible change. Minor:
 * members or slots appended (older plugins keep working). */
#define MARIUS_ABI_MAJOR 1
#define MARIUS_ABI_MINOR 2

#ifdef __cplusplus
#define MARIUS_EXTERN_C extern "C"
#define MARIUS_EXTERN_C_BEGIN extern "C" {
#define MARIUS_EXTERN_C_END }
/* Every function pointer of the ABI is noexcept in C++: a C++ implementation must
 * not let an exception escape (the SDK's guards turn them into statuses). */
#define MARIUS_NOEXCEPT noexcept
#else
#define MARIUS_EXTERN_C
#define MARIUS_EXTERN_C_BEGIN
#define MARIUS_EXTERN_C_END
#define MARIUS_NOEXCEPT
#endif

#if defined(_WIN32)
#define MARIUS_EXPORT __declspec(dllexport)
#else
#define MARIUS_EXPORT __attribute__((visibility("default")))
#endif

/* Size of a struct up to and including `last_field`: the frozen size of a
 * struct at the minor version whose last member is `last_field`. */
#define MARIUS_STRUCT_SIZE(type, last_field) \
  (offsetof(type, last_field) + sizeof(((type*)0)->last_field))

/* Nonzero when the struct at `ptr` (whose struct_size was filled by its writer)
 * is large enough to contain `field`. */
#define MARIUS_HAS_FIELD(type, ptr, field) \
  ((ptr)->struct_size >= MARIUS_STRUCT_SIZE(type, field))

/* Nonzero when the kind vtable at `ptr` (whose size lives in ptr->header) holds `slot`. */
#define MARIUS_HAS_SLOT(type, ptr, slot) \
  ((ptr)->header.struct_size >= MARIUS_STRUCT_SIZE(type, slot))

/* ---- Status codes ------------------------------------------------------------
 * Every fallible call returns a marius_status. MARIUS_OK is zero; anything else
 * is an error whose message was handed to the host through
 * marius_host_api.set_error (see host.h). A reader that meets a code it does not
 * know treats it as MARIUS_ERR_INTERNAL. */
typedef int32_t marius_status;

#define MARIUS_OK 0
#define MARIUS_ERR_INVALID_ARGUMENT 1 /* bad input: shape, dtype, option value */
#define MARIUS_ERR_NOT_FOUND 2        /* missing file, key or symbol */
#define MARIUS_ERR_OUT_OF_RANGE 3     /* index or byte range outside bounds, short read */
#define MARIUS_ERR_IO 4               /* the operating system reported an IO failure */
#define MARIUS_ERR_NO_SPACE 5         /* the device is full (ENOSPC, EDQUOT) */
#define MARIUS_ERR_OUT_OF_MEMORY 6
#define MARIUS_ERR_UNSUPPORTED 7      /* valid request the implementation cannot do */
#define MARIUS_ERR_VERSION_MISMATCH 8 /* ABI negotiation failed */
#define MARIUS_ERR_INTERNAL 9         /* a bug, or an exception caught at the boundary */
#define MARIUS_ERR_CANCELLED 10       /* the caller asked the work to stop (Ctrl-C, a callback) */
#define MARIUS_ERR_NON_FINITE 11      /* training produced NaN or infinity (loss, gradient, parameter) */

/* ---- Plugin kinds ------------------------------------------------------------ */
#define MARIUS_KIND_SCORE_FUNCTION 1
#define MARIUS_KIND_NEGATIVE_SAMPLER 2
#define MARIUS_KIND_ORDERING_POLICY 3
#define MARIUS_KIND_STORAGE_BACKEND 4
#define MARIUS_KIND_LAYER 5 /* since 1.1 */

/* ---- Capability bits (marius_vtable_header.capabilities) --------------------- */
#define MARIUS_CAP_CPU ((uint64_t)1 << 0)           /* accepts tensors in host memory */
#define MARIUS_CAP_CUDA ((uint64_t)1 << 1)          /* accepts tensors in CUDA memory */
#define MARIUS_CAP_REENTRANT ((uint64_t)1 << 2)     /* one instance may be called from several threads at once */
#define MARIUS_CAP_DETERMINISTIC ((uint64_t)1 << 3) /* same inputs and RNG stream give the same outputs */

/* ---- Log levels (marius_host_api.log) ---------------------------------------- */
#define MARIUS_LOG_TRACE 0
#define MARIUS_LOG_DEBUG 1
#define MARIUS_LOG_INFO 2
#define MARIUS_LOG_WARN 3
#define MARIUS_LOG_ERROR 4

/* ---- Options -------------------------------------------------------------------
 * Options are typed key/value data. The host validates the user's values against
 * the [[options]] the plugin's manifest declares and fills in every declared
 * default, so a plugin sees each declared key exactly once with the declared type.
 * The pointers are borrowed for the duration of the create call only: copy what
 * you keep. */
#define MARIUS_OPTION_INT 1    /* int_value */
#define MARIUS_OPTION_FLOAT 2  /* float_value */
#define MARIUS_OPTION_BOOL 3   /* int_value, 0 or 1 */
#define MARIUS_OPTION_STRING 4 /* string_value (also used for enum options) */

typedef struct marius_option {
  uint32_t struct_size;
  uint32_t type; /* MARIUS_OPTION_* */
  const char* key;
  int64_t int_value;
  double float_value;
  const char* string_value;
} marius_option;

typedef struct marius_options {
  uint32_t struct_size;
  uint32_t count;
  const marius_option* const* items; /* count pointers */
} marius_options;

#define MARIUS_OPTION_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_option, string_value)
#define MARIUS_OPTIONS_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_options, items)

/* ---- Random numbers --------------------------------------------------------------
 * An opaque, host-owned random stream. Seeded by the host from the run's seed, so a
 * plugin that draws all its randomness from it is reproducible. One stream is only
 * ever used by one thread at a time. */
typedef struct marius_rng marius_rng;

struct marius_host_api;

/* ---- Call context ------------------------------------------------------------------
 * Passed as the first argument of every plugin call. Borrowed for that call. */
typedef struct marius_call_context {
  uint32_t struct_size;
  uint32_t thread_index;              /* index of the host worker making the call */
  const struct marius_host_api* host; /* services; valid for the life of the process */
  void* host_state;                   /* opaque; hand it back through set_error */
  int32_t device_type;                /* DLDeviceType of the call's tensors (kDLCPU, kDLCUDA) */
  int32_t device_id;
  void* stream;                       /* cudaStream_t to enqueue work on, or NULL */
  marius_rng* rng;                    /* random stream for this call; may be NULL if the slot needs none */
} marius_call_context;

#define MARIUS_CALL_CONTEXT_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_call_context, rng)

#endif /* MARIUS_ABI_COMMON_H_ */
