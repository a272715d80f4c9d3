/*
 * marius/abi/storage.h - storage backend plugins (posix, mmap, io_uring, memory, ...).
 *
 * A storage backend reads and writes byte ranges of named files. The partition
 * buffer keeps node embeddings and optimizer state in such files, one region per
 * partition. Files are opaque handles made by `open` and released by `close`.
 *
 * Threading: calls on different files may run concurrently; calls on one file may
 * run concurrently only when the backend declares MARIUS_CAP_REENTRANT (reads and
 * writes of disjoint ranges). A failure is reported with the path and the OS
 * error, e.g. "write /data/part_3.bin at 1048576: No space left on device"; a full
 * device returns MARIUS_ERR_NO_SPACE.
 */
#ifndef MARIUS_ABI_STORAGE_H_
#define MARIUS_ABI_STORAGE_H_

#include "marius/abi/plugin.h"

MARIUS_EXTERN_C_BEGIN

/* Flags of `open`. */
#define MARIUS_OPEN_READ ((uint32_t)1 << 0)
#define MARIUS_OPEN_WRITE ((uint32_t)1 << 1)
#define MARIUS_OPEN_CREATE ((uint32_t)1 << 2)   /* create when missing */
#define MARIUS_OPEN_TRUNCATE ((uint32_t)1 << 3) /* empty the file on open */

typedef struct marius_storage_file marius_storage_file;

typedef struct marius_storage_vtable {
  marius_vtable_header header; /* header.kind == MARIUS_KIND_STORAGE_BACKEND */

  /* Opens `path` (NUL-terminated). On failure *out_file is untouched. */
  marius_status (*open)(void* instance, const marius_call_context* ctx, const char* path, uint32_t flags,
                        marius_storage_file** out_file) MARIUS_NOEXCEPT;
  /* Reads exactly `size` bytes at `offset` into `dst`. A range that extends past
   * the end of the file is MARIUS_ERR_OUT_OF_RANGE. */
  marius_status (*read)(void* instance, const marius_call_context* ctx, marius_storage_file* file,
                        uint64_t offset, void* dst, uint64_t size) MARIUS_NOEXCEPT;
  /* Writes exactly `size` bytes from `src` at `offset`, growing the file if needed. */
  marius_status (*write)(void* instance, const marius_call_context* ctx, marius_storage_file* file,
                         uint64_t offset, const void* src, uint64_t size) MARIUS_NOEXCEPT;
  /* Makes every completed write durable. */
  marius_status (*sync)(void* instance, const marius_call_context* ctx,
                        marius_storage_file* file) MARIUS_NOEXCEPT;
  /* Current size of the file in bytes. */
  marius_status (*size)(void* instance, const marius_call_context* ctx, marius_storage_file* file,
                        uint64_t* out_size) MARIUS_NOEXCEPT;
  /* Releases the handle, also when it returns an error (which reports a failure
   * to flush earlier writes). */
  marius_status (*close)(void* instance, const marius_call_context* ctx,
                         marius_storage_file* file) MARIUS_NOEXCEPT;
} marius_storage_vtable;

#define MARIUS_STORAGE_VTABLE_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_storage_vtable, close)

MARIUS_EXTERN_C_END

#endif /* MARIUS_ABI_STORAGE_H_ */
