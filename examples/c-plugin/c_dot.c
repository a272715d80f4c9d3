/*
 * c_dot: score(h, r, t) = scale * <h, t>, a score function plugin in plain C99.
 *
 * It shows everything a plugin must do by hand when it does not use the C++
 * SDK: negotiate the version in the entry function, validate every tensor it is
 * given, report errors through host->set_error, and never write its inputs.
 * Relations carry no parameters (width 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "marius/abi.h"

typedef struct c_dot {
  double scale;
} c_dot;

static marius_status error(const marius_call_context* ctx, marius_status code, const char* message) {
  if (ctx != NULL && ctx->host != NULL && ctx->host->set_error != NULL) {
    return ctx->host->set_error(ctx, code, message, (uint64_t)strlen(message));
  }
  return code;
}

/* Nonzero when t is a contiguous float32 host tensor of rank ndim. */
static int is_f32(const DLTensor* t, int32_t ndim) {
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

static const float* cdata(const DLTensor* t) { return (const float*)((const char*)t->data + t->byte_offset); }
static float* mdata(DLTensor* t) { return (float*)((char*)t->data + t->byte_offset); }

static marius_status create(const marius_call_context* ctx, const marius_options* options, void** out) {
  c_dot* self;
  uint32_t i;
  if (out == NULL) return error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "create: out_instance is NULL");
  self = (c_dot*)malloc(sizeof(c_dot));
  if (self == NULL) return error(ctx, MARIUS_ERR_OUT_OF_MEMORY, "create: out of memory");
  self->scale = 1.0;
  for (i = 0; options != NULL && i < options->count; ++i) {
    const marius_option* o = options->items[i];
    if (o != NULL && o->key != NULL && strcmp(o->key, "scale") == 0 && o->type == MARIUS_OPTION_FLOAT) {
      self->scale = o->float_value;
    }
  }
  *out = self;
  return MARIUS_OK;
}

static void destroy(void* instance) { free(instance); }

static marius_status relation_width(void* instance, const marius_call_context* ctx, int64_t dim, int64_t* out) {
  (void)instance;
  if (out == NULL) return error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "relation_width: out is NULL");
  if (dim <= 0) return error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "relation_width: dimension must be positive");
  *out = 0;
  return MARIUS_OK;
}

static marius_status init_relations(void* instance, const marius_call_context* ctx, DLTensor* params) {
  (void)instance;
  if (!is_f32(params, 2) || params->shape[1] != 0) {
    return error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "init_relations: params must be float32 [num_relations, 0]");
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
    error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "unknown score mode");
    return 0;
  }
  nd = a->mode == MARIUS_SCORE_POSITIVE ? 2 : 3;
  if (!is_f32(a->lhs, nd) || !is_f32(a->rel, nd) || !is_f32(a->rhs, nd)) {
    error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "lhs, rel and rhs must be contiguous float32 host tensors of the mode's rank");
    return 0;
  }
  if (a->mode == MARIUS_SCORE_POSITIVE) {
    if (a->lhs->shape[0] != a->rhs->shape[0] || a->lhs->shape[1] != a->rhs->shape[1] ||
        a->rel->shape[0] != a->lhs->shape[0]) {
      error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "positive mode takes lhs [B,D], rel [B,0], rhs [B,D]");
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
    error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "chunked modes take edges [C,S,D] and negatives [C,N,D]");
    return 0;
  }
  s->chunks = edges->shape[0];
  s->edges = edges->shape[1];
  s->negatives = negatives->shape[1];
  s->dim = edges->shape[2];
  return 1;
}

static int out_fits(const DLTensor* t, const marius_score_args* a, const shape* s) {
  if (a->mode == MARIUS_SCORE_POSITIVE) return is_f32(t, 1) && t->shape[0] == s->edges;
  return is_f32(t, 3) && t->shape[0] == s->chunks && t->shape[1] == s->edges && t->shape[2] == s->negatives;
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
  if (self == NULL || a == NULL) return error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "forward: NULL argument");
  if (!check_shapes(ctx, a, &s)) return MARIUS_ERR_INVALID_ARGUMENT;
  if (!out_fits(a->out, a, &s)) return error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "forward: out is missing or misshapen");
  out = mdata(a->out);
  for (c = 0; c < s.chunks; ++c)
    for (e = 0; e < s.edges; ++e)
      for (n = 0; n < s.negatives; ++n) {
        double sum = 0;
        rows(a, &s, c, e, n, &l, &r);
        for (d = 0; d < s.dim; ++d) sum += (double)cdata(a->lhs)[l + d] * cdata(a->rhs)[r + d];
        out[(c * s.edges + e) * s.negatives + n] = (float)(self->scale * sum);
      }
  return MARIUS_OK;
}

static marius_status backward(void* instance, const marius_call_context* ctx, const marius_score_args* a) {
  const c_dot* self = (const c_dot*)instance;
  shape s;
  int64_t c, e, n, d, l, r, i;
  float *gl, *gr;
  if (self == NULL || a == NULL) return error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "backward: NULL argument");
  if (!check_shapes(ctx, a, &s)) return MARIUS_ERR_INVALID_ARGUMENT;
  if (!out_fits(a->grad_out, a, &s)) {
    return error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "backward: grad_out is missing or misshapen");
  }
  if ((a->grad_lhs != NULL && !is_f32(a->grad_lhs, a->lhs->ndim)) ||
      (a->grad_rhs != NULL && !is_f32(a->grad_rhs, a->rhs->ndim))) {
    return error(ctx, MARIUS_ERR_INVALID_ARGUMENT, "backward: gradients must be float32 shaped like their inputs");
  }
  gl = a->grad_lhs != NULL ? mdata(a->grad_lhs) : NULL;
  gr = a->grad_rhs != NULL ? mdata(a->grad_rhs) : NULL;
  if (gl != NULL) for (i = 0; i < a->lhs->shape[0] * a->lhs->shape[1] * (a->lhs->ndim == 3 ? a->lhs->shape[2] : 1); ++i) gl[i] = 0;
  if (gr != NULL) for (i = 0; i < a->rhs->shape[0] * a->rhs->shape[1] * (a->rhs->ndim == 3 ? a->rhs->shape[2] : 1); ++i) gr[i] = 0;
  for (c = 0; c < s.chunks; ++c)
    for (e = 0; e < s.edges; ++e)
      for (n = 0; n < s.negatives; ++n) {
        float g = (float)(self->scale * cdata(a->grad_out)[(c * s.edges + e) * s.negatives + n]);
        rows(a, &s, c, e, n, &l, &r);
        for (d = 0; d < s.dim; ++d) {
          if (gl != NULL) gl[l + d] += g * cdata(a->rhs)[r + d];
          if (gr != NULL) gr[r + d] += g * cdata(a->lhs)[l + d];
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
    NULL, /* decompose (1.2): this plugin scores every mode itself */
    NULL, /* apply_operator */
    NULL, /* operator_backward */
};

static const marius_plugin_descriptor kDescriptor = {
    sizeof(marius_plugin_descriptor), MARIUS_KIND_SCORE_FUNCTION, 1, 0, "c_dot", "1.0.0", &kVtable.header,
};

MARIUS_EXPORT marius_status marius_plugin_entry(marius_entry_args* args) {
  char message[160];
  if (args == NULL || args->struct_size < MARIUS_STRUCT_SIZE(marius_entry_args, descriptor)) {
    return MARIUS_ERR_INVALID_ARGUMENT;
  }
  if (args->host_abi_major != 1) {
    snprintf(message, sizeof message, "c_dot was built for ABI 1.x, the host speaks %u.%u",
             (unsigned)args->host_abi_major, (unsigned)args->host_abi_minor);
    return error(args->ctx, MARIUS_ERR_VERSION_MISMATCH, message);
  }
  args->descriptor = &kDescriptor;
  return MARIUS_OK;
}
