/*
 * marius/abi/score.h - score function plugins (DistMult, ComplEx, TransE, dot, ...).
 *
 * A score function maps (lhs, relation parameters, rhs) to a real score; training
 * raises the scores of real edges above those of corrupted ones. The core holds the
 * node embeddings and a table of relation parameters (num_relations x width rows);
 * it gathers the rows a batch needs, calls `forward`, and calls `backward` from a
 * LibTorch autograd function, then scatters the gradients. The plugin never sees
 * ids, only dense float32 rows.
 *
 * Tensors: float32, C-contiguous, strides always filled (in elements), byte_offset
 * 0, on the device in ctx. Inputs are borrowed for the call and must not be
 * written. Outputs are allocated by the host and fully overwritten by the plugin.
 *
 * Modes (B edges; for chunked modes B = C chunks x S edges, and every edge of a
 * chunk is scored against the same N negatives):
 *   MARIUS_SCORE_POSITIVE     lhs [B,D]   rel [B,R]   rhs [B,D]   out [B]
 *                             out[b] = score(lhs[b], rel[b], rhs[b])
 *   MARIUS_SCORE_CORRUPT_RHS  lhs [C,S,D] rel [C,S,R] rhs [C,N,D] out [C,S,N]
 *                             out[c,s,n] = score(lhs[c,s], rel[c,s], rhs[c,n])
 *   MARIUS_SCORE_CORRUPT_LHS  lhs [C,N,D] rel [C,S,R] rhs [C,S,D] out [C,S,N]
 *                             out[c,s,n] = score(lhs[c,n], rel[c,s], rhs[c,s])
 * D is the embedding dimension, R the relation width the plugin declared for D
 * (R may be 0: the rel tensor then has a zero-sized last dimension).
 *
 * Decomposition (since 1.2). A score that is a relation operator applied to one
 * side followed by a comparator of two D-vectors,
 *   score(h, r, t) = cmp(op_rhs(h, r), t) = cmp(h, op_lhs(t, r)),
 * may say so through `decompose`. The core then scores every mode itself: it calls
 * `apply_operator` on the side the edges know (O(B*D)) and runs the comparator as
 * matrix products against the shared negatives, as PyTorch-BigGraph does; the
 * plugin's forward and backward are then used only by hosts older than 1.2 and by
 * the conformance suite, and must agree with the decomposition. Comparators (all
 * symmetric: cmp(a, b) = cmp(b, a)):
 *   MARIUS_COMPARATOR_DOT         <a, b>
 *   MARIUS_COMPARATOR_COSINE      <a, b> / (|a| |b|)   (a zero vector scores 0)
 *   MARIUS_COMPARATOR_L2          -|a - b|
 *   MARIUS_COMPARATOR_SQUARED_L2  -|a - b|^2
 * Sides of apply_operator: MARIUS_OPERATOR_RHS makes y = op_rhs(x = heads, rel),
 * compared with tails; MARIUS_OPERATOR_LHS makes y = op_lhs(x = tails, rel),
 * compared with heads. x [B,D], rel [B,R], y [B,D].
 */
#ifndef MARIUS_ABI_SCORE_H_
#define MARIUS_ABI_SCORE_H_

#include "marius/abi/plugin.h"

MARIUS_EXTERN_C_BEGIN

#define MARIUS_SCORE_POSITIVE 0
#define MARIUS_SCORE_CORRUPT_RHS 1
#define MARIUS_SCORE_CORRUPT_LHS 2

typedef struct marius_score_args {
  uint32_t struct_size;
  uint32_t mode;       /* MARIUS_SCORE_* */
  const DLTensor* lhs;
  const DLTensor* rel;
  const DLTensor* rhs;
  DLTensor* out;       /* forward: the scores; NULL in backward */
  /* backward only (NULL in forward): */
  const DLTensor* grad_out; /* d loss / d out, shaped like out */
  DLTensor* grad_lhs;       /* d loss / d lhs; NULL when not needed */
  DLTensor* grad_rel;       /* d loss / d rel; NULL when not needed */
  DLTensor* grad_rhs;       /* d loss / d rhs; NULL when not needed */
} marius_score_args;

#define MARIUS_SCORE_ARGS_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_score_args, grad_rhs)

/* Comparators (since 1.2); NONE: the score does not decompose. */
#define MARIUS_COMPARATOR_NONE 0
#define MARIUS_COMPARATOR_DOT 1
#define MARIUS_COMPARATOR_COSINE 2
#define MARIUS_COMPARATOR_L2 3
#define MARIUS_COMPARATOR_SQUARED_L2 4

/* Sides of the relation operator (since 1.2). */
#define MARIUS_OPERATOR_RHS 0 /* x: heads; y is compared with tails */
#define MARIUS_OPERATOR_LHS 1 /* x: tails; y is compared with heads */

/* What `decompose` reports (since 1.2). Filled by the plugin; the host sets
 * struct_size and zeroes the rest before the call. */
typedef struct marius_score_decomposition {
  uint32_t struct_size;
  uint32_t comparator; /* MARIUS_COMPARATOR_*; NONE when this instance does not decompose */
} marius_score_decomposition;

#define MARIUS_SCORE_DECOMPOSITION_SIZE_1_2 MARIUS_STRUCT_SIZE(marius_score_decomposition, comparator)

/* Arguments of apply_operator and operator_backward (since 1.2). Same tensor
 * conventions as marius_score_args. */
typedef struct marius_operator_args {
  uint32_t struct_size;
  uint32_t side;          /* MARIUS_OPERATOR_* */
  const DLTensor* x;      /* [B,D] */
  const DLTensor* rel;    /* [B,R] */
  DLTensor* y;            /* apply_operator: the result [B,D]; NULL in operator_backward */
  /* operator_backward only (NULL in apply_operator): */
  const DLTensor* grad_y; /* d loss / d y, [B,D] */
  DLTensor* grad_x;       /* d loss / d x; NULL when not needed */
  DLTensor* grad_rel;     /* d loss / d rel; NULL when not needed */
} marius_operator_args;

#define MARIUS_OPERATOR_ARGS_SIZE_1_2 MARIUS_STRUCT_SIZE(marius_operator_args, grad_rel)

typedef struct marius_score_vtable {
  marius_vtable_header header; /* header.kind == MARIUS_KIND_SCORE_FUNCTION */

  /* Width R of one relation's parameter row for embedding dimension `dim`.
   * Returns MARIUS_ERR_INVALID_ARGUMENT for a dimension the function cannot use
   * (e.g. an odd one for ComplEx). */
  marius_status (*relation_width)(void* instance, const marius_call_context* ctx, int64_t dim,
                                  int64_t* out_width) MARIUS_NOEXCEPT;

  /* Initial relation parameters: fills `params` [num_relations, R] (float32).
   * Draws any randomness from ctx->rng. */
  marius_status (*init_relations)(void* instance, const marius_call_context* ctx,
                                  DLTensor* params) MARIUS_NOEXCEPT;

  /* Scores, see the modes above. */
  marius_status (*forward)(void* instance, const marius_call_context* ctx,
                           const marius_score_args* args) MARIUS_NOEXCEPT;

  /* Gradients of sum(grad_out * out) with respect to lhs, rel and rhs; each
   * requested gradient is overwritten (not accumulated). */
  marius_status (*backward)(void* instance, const marius_call_context* ctx,
                            const marius_score_args* args) MARIUS_NOEXCEPT;

  /* ---- since 1.2 (optional: NULL, or absent below header.struct_size) ---- */

  /* Whether this instance decomposes into an operator and a comparator (see the
   * top of this file). Called once per instance, after create. Writing
   * MARIUS_COMPARATOR_NONE is not an error: the host then uses forward/backward. */
  marius_status (*decompose)(void* instance, const marius_call_context* ctx,
                             marius_score_decomposition* out) MARIUS_NOEXCEPT;

  /* y = op_side(x, rel). Only called on an instance whose decompose named a comparator. */
  marius_status (*apply_operator)(void* instance, const marius_call_context* ctx,
                                  const marius_operator_args* args) MARIUS_NOEXCEPT;

  /* Gradients of sum(grad_y * y) with respect to x and rel; each requested one is
   * overwritten (not accumulated). */
  marius_status (*operator_backward)(void* instance, const marius_call_context* ctx,
                                     const marius_operator_args* args) MARIUS_NOEXCEPT;
} marius_score_vtable;

#define MARIUS_SCORE_VTABLE_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_score_vtable, backward)
#define MARIUS_SCORE_VTABLE_SIZE_1_2 MARIUS_STRUCT_SIZE(marius_score_vtable, operator_backward)

MARIUS_EXTERN_C_END

#endif /* MARIUS_ABI_SCORE_H_ */
