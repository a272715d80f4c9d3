/*
 * marius/abi/ordering.h - edge-bucket ordering policy plugins (BETA, Hilbert, ...).
 *
 * Nodes are split into p partitions and edges into p x p buckets; bucket (i, j)
 * holds the edges from partition i to partition j. The partition buffer keeps c
 * partitions in memory. An ordering policy plans an epoch: a sequence of buffer
 * states (which partitions are resident) and, for each state, the buckets to
 * process while it holds.
 *
 * The plugin reports the plan through the sink, in order: add_state(...) opens a
 * state; add_bucket(...) appends a bucket to the state opened last. The host
 * validates the finished plan: every bucket exactly once, no state with more than
 * c partitions, each bucket processed while both of its partitions are resident.
 */
#ifndef MARIUS_ABI_ORDERING_H_
#define MARIUS_ABI_ORDERING_H_

#include "marius/abi/plugin.h"

MARIUS_EXTERN_C_BEGIN

typedef struct marius_plan_sink {
  uint32_t struct_size;
  uint32_t reserved;
  void* state; /* opaque; pass to the functions below */
  /* Opens a buffer state holding `count` partitions (ids in [0, p)). */
  marius_status (*add_state)(void* state, const int32_t* partitions, uint32_t count) MARIUS_NOEXCEPT;
  /* Appends bucket (lhs_partition, rhs_partition) to the state opened last. */
  marius_status (*add_bucket)(void* state, int32_t lhs_partition, int32_t rhs_partition) MARIUS_NOEXCEPT;
} marius_plan_sink;

#define MARIUS_PLAN_SINK_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_plan_sink, add_bucket)

typedef struct marius_plan_args {
  uint32_t struct_size;
  int32_t num_partitions;  /* p >= 1 */
  int32_t buffer_capacity; /* c, 1 <= c <= p (c >= 2 when p >= 2) */
  uint32_t reserved;
  const marius_plan_sink* sink;
} marius_plan_args;

#define MARIUS_PLAN_ARGS_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_plan_args, sink)

typedef struct marius_ordering_vtable {
  marius_vtable_header header; /* header.kind == MARIUS_KIND_ORDERING_POLICY */

  /* Plans one epoch into args->sink. Randomised policies draw from ctx->rng.
   * Returns MARIUS_ERR_INVALID_ARGUMENT for p or c it cannot plan, and passes on
   * any error status the sink returns. */
  marius_status (*plan)(void* instance, const marius_call_context* ctx,
                        const marius_plan_args* args) MARIUS_NOEXCEPT;
} marius_ordering_vtable;

#define MARIUS_ORDERING_VTABLE_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_ordering_vtable, plan)

MARIUS_EXTERN_C_END

#endif /* MARIUS_ABI_ORDERING_H_ */
