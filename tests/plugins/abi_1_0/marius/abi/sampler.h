/*
 * marius/abi/sampler.h - negative sampler plugins.
 *
 * A negative sampler picks the node ids that replace one side of a batch's edges.
 * Negatives come in chunks: every edge of a chunk shares the chunk's negatives,
 * which turns scoring into a matrix product.
 *
 * Nodes have dense ids 0..num_nodes-1. Only nodes whose embeddings are in memory
 * may be drawn: `node_ranges` lists them as [begin, end) pairs (for an in-memory
 * model one pair covering every node; for a partitioned model one pair per
 * resident partition). All randomness comes from ctx->rng.
 */
#ifndef MARIUS_ABI_SAMPLER_H_
#define MARIUS_ABI_SAMPLER_H_

#include "marius/abi/plugin.h"

MARIUS_EXTERN_C_BEGIN

typedef struct marius_sample_args {
  uint32_t struct_size;
  uint32_t reserved;
  int64_t num_chunks;          /* C >= 1 */
  int64_t negatives_per_chunk; /* N >= 1 */
  int64_t num_nodes;           /* size of the dense id space */
  /* int64 [K,2], K >= 1: the allowed [begin, end) ranges, disjoint, non-empty. */
  const DLTensor* node_ranges;
  /* int64 [num_nodes]: node degrees, or NULL when the host has none. */
  const DLTensor* degrees;
  /* int64 [B]: ids on the side being corrupted, in batch order (edge b belongs to
   * chunk b / (B / C)); every id lies in an allowed range. NULL when not known. */
  const DLTensor* batch_nodes;
  /* int64 [C,N]: filled with ids from the allowed ranges. */
  DLTensor* out;
} marius_sample_args;

#define MARIUS_SAMPLE_ARGS_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_sample_args, out)

typedef struct marius_sampler_vtable {
  marius_vtable_header header; /* header.kind == MARIUS_KIND_NEGATIVE_SAMPLER */

  /* Fills args->out. Returns MARIUS_ERR_INVALID_ARGUMENT for malformed ranges or
   * shapes, or when the sampler needs an input the host did not give (e.g. an
   * in-batch sampler without batch_nodes). */
  marius_status (*sample)(void* instance, const marius_call_context* ctx,
                          const marius_sample_args* args) MARIUS_NOEXCEPT;
} marius_sampler_vtable;

#define MARIUS_SAMPLER_VTABLE_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_sampler_vtable, sample)

MARIUS_EXTERN_C_END

#endif /* MARIUS_ABI_SAMPLER_H_ */
