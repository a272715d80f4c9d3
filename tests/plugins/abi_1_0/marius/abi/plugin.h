/*
 * marius/abi/plugin.h - how a plugin library introduces itself.
 *
 * A plugin library exports exactly one entry function (by default named
 * "marius_plugin_entry"; its manifest may name another). The host calls it once,
 * right after loading the library:
 *
 *   1. The host fills marius_entry_args with its ABI version and a context.
 *   2. The plugin refuses with MARIUS_ERR_VERSION_MISMATCH (and a message through
 *      ctx->host->set_error) if host_abi_major differs from the major it was built
 *      for, or host_abi_minor is below the lowest minor it needs.
 *   3. Otherwise it stores a pointer to its descriptor in args->descriptor and
 *      returns MARIUS_OK. The descriptor and everything it points to is static
 *      data of the library: it stays valid while the library is loaded.
 *
 * The host then checks the descriptor against the plugin's manifest (name, kind,
 * version), its own ABI version and the frozen sizes of the vtable, and only then
 * calls into the vtable.
 */
#ifndef MARIUS_ABI_PLUGIN_H_
#define MARIUS_ABI_PLUGIN_H_

#include "marius/abi/common.h"

MARIUS_EXTERN_C_BEGIN

#define MARIUS_DEFAULT_ENTRY_SYMBOL "marius_plugin_entry"

/* The header every kind's vtable starts with. */
typedef struct marius_vtable_header {
  uint32_t struct_size;  /* sizeof the whole kind vtable, as the plugin was compiled */
  uint32_t kind;         /* MARIUS_KIND_*; equals the descriptor's kind */
  uint64_t capabilities; /* MARIUS_CAP_* bits */

  /* Makes an instance from validated options (see marius_options). On failure
   * returns an error status, reports it through set_error and leaves
   * *out_instance untouched. The host serialises create and destroy calls. */
  marius_status (*create)(const marius_call_context* ctx, const marius_options* options,
                          void** out_instance) MARIUS_NOEXCEPT;
  /* Frees an instance made by create. Never fails. */
  void (*destroy)(void* instance) MARIUS_NOEXCEPT;
} marius_vtable_header;

#define MARIUS_VTABLE_HEADER_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_vtable_header, destroy)

typedef struct marius_plugin_descriptor {
  uint32_t struct_size;
  uint32_t kind;               /* MARIUS_KIND_* */
  uint32_t abi_major;          /* the major the plugin was built against */
  uint32_t abi_min_host_minor; /* the lowest host minor the plugin needs */
  const char* name;            /* equals the manifest's plugin.name */
  const char* version;         /* equals the manifest's plugin.version */
  const marius_vtable_header* vtable;
} marius_plugin_descriptor;

#define MARIUS_PLUGIN_DESCRIPTOR_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_plugin_descriptor, vtable)

typedef struct marius_entry_args {
  uint32_t struct_size;
  uint32_t host_abi_major;                      /* in */
  uint32_t host_abi_minor;                      /* in */
  uint32_t reserved;
  const marius_call_context* ctx;               /* in: host services and error reporting */
  const marius_plugin_descriptor* descriptor;   /* out */
} marius_entry_args;

#define MARIUS_ENTRY_ARGS_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_entry_args, descriptor)

typedef marius_status (*marius_plugin_entry_fn)(marius_entry_args* args) MARIUS_NOEXCEPT;

MARIUS_EXTERN_C_END

#endif /* MARIUS_ABI_PLUGIN_H_ */
