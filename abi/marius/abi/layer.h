/*
 * marius/abi/layer.h - graph neural network layer plugins (GraphSAGE, GCN, GAT,
 * R-GCN, ...). Added in ABI 1.1: a plugin of this kind sets abi_min_host_minor
 * to 1 or more.
 *
 * A layer maps the representations of a batch's source nodes to those of its
 * destination nodes over the sampled neighbourhood of each destination node.
 * The core samples the neighbourhood (DENSE: once per batch, reused by every
 * deeper layer), owns the parameters and their optimizer, and chains layers
 * through LibTorch autograd; the layer sees dense tensors only, never node ids.
 *
 * The neighbourhood is a CSR over rows of the input:
 *   input      float32 [N_src, D_in]  source-node representations
 *   offsets    int64   [N_dst + 1]    offsets[0] = 0, non-decreasing, offsets[N_dst] = E
 *   neighbors  int64   [E]            rows of input; destination i's sampled neighbours are
 *                                     neighbors[offsets[i] .. offsets[i+1])
 * Destination node i is input row i (N_dst <= N_src): a node's own
 * representation is there without a copy. A destination may have no
 * neighbours (offsets[i] == offsets[i+1]); the sample holds no self-loops
 * (a layer that wants them adds row i itself).
 *
 * Tensors: C-contiguous, strides filled, byte_offset 0, on the device in ctx.
 * Inputs are borrowed for the call and must not be written; outputs are
 * allocated by the host and fully overwritten by the plugin.
 */
#ifndef MARIUS_ABI_LAYER_H_
#define MARIUS_ABI_LAYER_H_

#include "marius/abi/plugin.h"

MARIUS_EXTERN_C_BEGIN

/* How the host initialises a parameter (marius_layer_param.init). For a
 * parameter of shape [..., fan_in, fan_out] (ndim >= 2; leading dimensions
 * index separate matrices) GLOROT draws U(-a, a) with
 * a = scale * sqrt(6 / (fan_in + fan_out)); a 1-d parameter counts as [1, n]. */
#define MARIUS_INIT_ZEROS 0
#define MARIUS_INIT_ONES 1
#define MARIUS_INIT_GLOROT 2  /* scale is the gain (1 for linear, sqrt(2) for ReLU layers) */
#define MARIUS_INIT_UNIFORM 3 /* U(-scale, scale) */
#define MARIUS_INIT_NORMAL 4  /* N(0, scale^2) */

#define MARIUS_LAYER_MAX_NDIM 4

/* One parameter tensor (float32) of a layer. */
typedef struct marius_layer_param {
  uint32_t struct_size;
  uint32_t init;    /* MARIUS_INIT_* */
  const char* name; /* unique within the layer, [a-z0-9_]+; valid while the instance lives */
  int32_t ndim;     /* 1 .. MARIUS_LAYER_MAX_NDIM */
  int32_t reserved;
  int64_t shape[MARIUS_LAYER_MAX_NDIM]; /* the first ndim entries, each >= 1 */
  double scale;     /* see MARIUS_INIT_* */
} marius_layer_param;

#define MARIUS_LAYER_PARAM_SIZE_1_1 MARIUS_STRUCT_SIZE(marius_layer_param, scale)

/* What a layer instance is asked to map. */
typedef struct marius_layer_dims {
  uint32_t struct_size;
  uint32_t reserved;
  int64_t in_dim;        /* D_in */
  int64_t out_dim;       /* D_out */
  int64_t num_relations; /* edge types the relations tensor may hold (>= 1) */
} marius_layer_dims;

#define MARIUS_LAYER_DIMS_SIZE_1_1 MARIUS_STRUCT_SIZE(marius_layer_dims, num_relations)

/* The parameters describe() declares: `count` pointers, valid until the
 * instance is destroyed. count may be 0. */
typedef struct marius_layer_params {
  uint32_t struct_size;
  uint32_t count;
  const marius_layer_param* const* items;
} marius_layer_params;

#define MARIUS_LAYER_PARAMS_SIZE_1_1 MARIUS_STRUCT_SIZE(marius_layer_params, items)

typedef struct marius_layer_args {
  uint32_t struct_size;
  uint32_t training;            /* 1: training (dropout active); 0: inference (deterministic) */
  uint64_t seed;                /* the randomness of this call (dropout); backward gets the seed its
                                   forward got, so a layer can redraw the same masks */
  const DLTensor* input;        /* float32 [N_src, D_in] */
  const DLTensor* offsets;      /* int64 [N_dst + 1] */
  const DLTensor* neighbors;    /* int64 [E] */
  const DLTensor* relations;    /* int64 [E] edge type of each sampled edge, in [0, num_relations) */
  const DLTensor* weights;      /* float32 [E] weight of each sampled edge, or NULL (all 1) */
  const DLTensor* degrees;      /* float32 [N_src] each source node's number of neighbours in the
                                   whole graph (the direction sampled), before sampling */
  uint32_t num_params;          /* equals describe()'s count */
  uint32_t reserved;
  const DLTensor* const* params;   /* num_params tensors, in describe()'s order and shapes */
  DLTensor* output;                /* forward: float32 [N_dst, D_out]; NULL in backward */
  /* backward only (NULL in forward): */
  const DLTensor* grad_output;     /* d loss / d output, [N_dst, D_out] */
  DLTensor* grad_input;            /* d loss / d input, [N_src, D_in]; NULL when not needed */
  DLTensor* const* grad_params;    /* num_params entries; entry k is d loss / d params[k], or NULL
                                      when not needed */
} marius_layer_args;

#define MARIUS_LAYER_ARGS_SIZE_1_1 MARIUS_STRUCT_SIZE(marius_layer_args, grad_params)

typedef struct marius_layer_vtable {
  marius_vtable_header header; /* header.kind == MARIUS_KIND_LAYER */

  /* The parameters of a layer mapping dims->in_dim to dims->out_dim: names,
   * shapes and initialisation. Called once per instance, before any forward.
   * Returns MARIUS_ERR_INVALID_ARGUMENT for dimensions the layer cannot use
   * (e.g. an out_dim that its heads do not divide). */
  marius_status (*describe)(void* instance, const marius_call_context* ctx, const marius_layer_dims* dims,
                            marius_layer_params* out) MARIUS_NOEXCEPT;

  /* output = layer(input, neighbourhood, params). */
  marius_status (*forward)(void* instance, const marius_call_context* ctx,
                           const marius_layer_args* args) MARIUS_NOEXCEPT;

  /* Gradients of sum(grad_output * output) with respect to input and each
   * requested parameter, for the forward call with the same args and seed;
   * each requested gradient is overwritten (not accumulated). */
  marius_status (*backward)(void* instance, const marius_call_context* ctx,
                            const marius_layer_args* args) MARIUS_NOEXCEPT;
} marius_layer_vtable;

#define MARIUS_LAYER_VTABLE_SIZE_1_1 MARIUS_STRUCT_SIZE(marius_layer_vtable, backward)

MARIUS_EXTERN_C_END

#endif /* MARIUS_ABI_LAYER_H_ */
