/*
 * c_dot: score(h, r, t) = scale * <h, t>, a score function plugin in plain C99.
 *
 * It shows what a plugin does when it does not use the C++ SDK: validate every
 * tensor it is given, report errors through host->set_error, never write its
 * inputs, and negotiate the version in its entry function. The small helpers of
 * <marius/sdk/c_plugin.h> (errors, tensor checks, options, the entry function)
 * keep that short.
 * Relations carry no parameters (width 0).
 */
#include <stdlib.h>

#include "marius/sdk/c_plugin.h"

typedef struct c_dot {
  double scale;
} c_dot;

static marius_status create(const marius_call_context* ctx, const marius_options* options, void** out) {
  c_dot* self;
  if (out == NULL) return marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "create: out_instance is NULL");
  self = (c_dot*)malloc(sizeof(c_dot));
  if (self == NULL) return marius_c_error(ctx, MARIUS_ERR_OUT_OF_MEMORY, "create: out of memory");
  {
    const marius_option* scale = marius_c_option(options, "scale", MARIUS_OPTION_FLOAT);
    self->scale = scale != NULL ? scale->float_value : 1.0;
  }
  *out = self;
  return MARIUS_OK;
}

static void destroy(void* instance) { free(instance); }

static marius_status relation_width(void* instance, const marius_call_context* ctx, int64_t dim, int64_t* out) {
  (void)instance;
  if (out == NULL) return marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "relation_width: out is NULL");
  if (dim <= 0) return marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "relation_width: dimension must be positive");
  *out = 0;
  return MARIUS_OK;
}

static marius_status init_relations(void* instance, const marius_call_context* ctx, DLTensor* params) {
  (void)instance;
  if (!marius_c_is_host_f32(params, 2) || params->shape[1] != 0) {
    return marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "init_relations: params must be float32 [num_relations, 0]");
  }
  return MARIUS_OK;
}

/* Shapes of a call: for each output element (c, s, n), which rows of lhs and rhs
 * it combines. Returns 0 and reports an error when the tensors do not fit. */
typedef struct shape {
  int64_t chunks, edges, negatives, dim;
} shape;

static int check_shapes(const marius_call_context* ctx, const marius_score_args* a, shape* s) {
  int32_t nd;
  const DLTensor *edges, *negatives;
  if (a->mode != MARIUS_SCORE_POSITIVE && a->mode != MARIUS_SCORE_CORRUPT_RHS && a->mode != MARIUS_SCORE_CORRUPT_LHS) {
    marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "unknown score mode");
    return 0;
  }
  nd = a->mode == MARIUS_SCORE_POSITIVE ? 2 : 3;
  if (!marius_c_is_host_f32(a->lhs, nd) || !marius_c_is_host_f32(a->rel, nd) || !marius_c_is_host_f32(a->rhs, nd)) {
    marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "lhs, rel and rhs must be contiguous float32 host tensors of the mode's rank");
    return 0;
  }
  if (a->mode == MARIUS_SCORE_POSITIVE) {
    if (a->lhs->shape[0] != a->rhs->shape[0] || a->lhs->shape[1] != a->rhs->shape[1] ||
        a->rel->shape[0] != a->lhs->shape[0]) {
      marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "positive mode takes lhs [B,D], rel [B,0], rhs [B,D]");
      return 0;
    }
    s->chunks = 1;
    s->edges = a->lhs->shape[0];
    s->negatives = 1;
    s->dim = a->lhs->shape[1];
    return 1;
  }
  edges = a->mode == MARIUS_SCORE_CORRUPT_RHS ? a->lhs : a->rhs;
  negatives = a->mode == MARIUS_SCORE_CORRUPT_RHS ? a->rhs : a->lhs;
  if (edges->shape[0] != negatives->shape[0] || edges->shape[2] != negatives->shape[2]) {
    marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "chunked modes take edges [C,S,D] and negatives [C,N,D]");
    return 0;
  }
  s->chunks = edges->shape[0];
  s->edges = edges->shape[1];
  s->negatives = negatives->shape[1];
  s->dim = edges->shape[2];
  return 1;
}

static int out_fits(const DLTensor* t, const marius_score_args* a, const shape* s) {
  if (a->mode == MARIUS_SCORE_POSITIVE) return marius_c_is_host_f32(t, 1) && t->shape[0] == s->edges;
  return marius_c_is_host_f32(t, 3) && t->shape[0] == s->chunks && t->shape[1] == s->edges && t->shape[2] == s->negatives;
}

/* Row offsets (in floats) of lhs and rhs for output element (c, e, n). */
static void rows(const marius_score_args* a, const shape* s, int64_t c, int64_t e, int64_t n, int64_t* l, int64_t* r) {
  if (a->mode == MARIUS_SCORE_POSITIVE) {
    *l = *r = e * s->dim;
  } else if (a->mode == MARIUS_SCORE_CORRUPT_RHS) {
    *l = (c * s->edges + e) * s->dim;
    *r = (c * s->negatives + n) * s->dim;
  } else {
    *l = (c * s->negatives + n) * s->dim;
    *r = (c * s->edges + e) * s->dim;
  }
}

static marius_status forward(void* instance, const marius_call_context* ctx, const marius_score_args* a) {
  const c_dot* self = (const c_dot*)instance;
  shape s;
  int64_t c, e, n, d, l, r;
  float* out;
  if (self == NULL || a == NULL) return marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "forward: NULL argument");
  if (!check_shapes(ctx, a, &s)) return MARIUS_ERR_INVALID_ARGUMENT;
  if (!out_fits(a->out, a, &s)) return marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "forward: out is missing or misshapen");
  out = marius_c_data(a->out);
  for (c = 0; c < s.chunks; ++c)
    for (e = 0; e < s.edges; ++e)
      for (n = 0; n < s.negatives; ++n) {
        double sum = 0;
        rows(a, &s, c, e, n, &l, &r);
        for (d = 0; d < s.dim; ++d) sum += (double)marius_c_cdata(a->lhs)[l + d] * marius_c_cdata(a->rhs)[r + d];
        out[(c * s.edges + e) * s.negatives + n] = (float)(self->scale * sum);
      }
  return MARIUS_OK;
}

static marius_status backward(void* instance, const marius_call_context* ctx, const marius_score_args* a) {
  const c_dot* self = (const c_dot*)instance;
  shape s;
  int64_t c, e, n, d, l, r, i;
  float *gl, *gr;
  if (self == NULL || a == NULL) return marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "backward: NULL argument");
  if (!check_shapes(ctx, a, &s)) return MARIUS_ERR_INVALID_ARGUMENT;
  if (!out_fits(a->grad_out, a, &s)) {
    return marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "backward: grad_out is missing or misshapen");
  }
  if ((a->grad_lhs != NULL && !marius_c_is_host_f32(a->grad_lhs, a->lhs->ndim)) ||
      (a->grad_rhs != NULL && !marius_c_is_host_f32(a->grad_rhs, a->rhs->ndim))) {
    return marius_c_error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "backward: gradients must be float32 shaped like their inputs");
  }
  gl = a->grad_lhs != NULL ? marius_c_data(a->grad_lhs) : NULL;
  gr = a->grad_rhs != NULL ? marius_c_data(a->grad_rhs) : NULL;
  if (gl != NULL) for (i = 0; i < marius_c_numel(a->lhs); ++i) gl[i] = 0;
  if (gr != NULL) for (i = 0; i < marius_c_numel(a->rhs); ++i) gr[i] = 0;
  for (c = 0; c < s.chunks; ++c)
    for (e = 0; e < s.edges; ++e)
      for (n = 0; n < s.negatives; ++n) {
        float g = (float)(self->scale * marius_c_cdata(a->grad_out)[(c * s.edges + e) * s.negatives + n]);
        rows(a, &s, c, e, n, &l, &r);
        for (d = 0; d < s.dim; ++d) {
          if (gl != NULL) gl[l + d] += g * marius_c_cdata(a->rhs)[r + d];
          if (gr != NULL) gr[r + d] += g * marius_c_cdata(a->lhs)[l + d];
        }
      }
  /* rel has width 0: grad_rel has no elements to write. */
  return MARIUS_OK;
}

static const marius_score_vtable kVtable = {
    {sizeof(marius_score_vtable), MARIUS_KIND_SCORE_FUNCTION,
     MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC, create, destroy},
    relation_width,
    init_relations,
    forward,
    backward,
#if MARIUS_ABI_MINOR >= 2 /* the 1.2 slots; also built against the frozen 1.0 headers (tests/plugins/abi_1_0) */
    NULL, /* decompose: this plugin scores every mode itself */
    NULL, /* apply_operator */
    NULL, /* operator_backward */
#endif
};

static const marius_plugin_descriptor kDescriptor = {
    sizeof(marius_plugin_descriptor), MARIUS_KIND_SCORE_FUNCTION, 1, 0, "c_dot", "1.0.0", &kVtable.header,
};

/* Refuses a host of another major (or older than 1.0) with a message. */
MARIUS_C_PLUGIN_ENTRY(kDescriptor)
