/* Score-function libraries that are wrong in one way each, chosen by
 * BROKEN_VARIANT: 1 = vtable struct_size below the ABI 1.0 size, 2 = NULL forward
 * slot, 3 = entry returns OK without a descriptor. */
#include <string.h>

#include "marius/abi.h"

static marius_status create(const marius_call_context* ctx, const marius_options* o, void** out) {
  (void)ctx;
  (void)o;
  *out = (void*)1;
  return MARIUS_OK;
}
static void destroy(void* p) { (void)p; }
static marius_status width(void* i, const marius_call_context* c, int64_t d, int64_t* o) {
  (void)i;
  (void)c;
  *o = d;
  return MARIUS_OK;
}
static marius_status init(void* i, const marius_call_context* c, DLTensor* p) {
  (void)i;
  (void)c;
  (void)p;
  return MARIUS_OK;
}
static marius_status fwd(void* i, const marius_call_context* c, const marius_score_args* a) {
  (void)i;
  (void)c;
  (void)a;
  return MARIUS_OK;
}

static const marius_score_vtable kVtable = {
    {BROKEN_VARIANT == 1 ? (uint32_t)sizeof(marius_vtable_header) : (uint32_t)sizeof(marius_score_vtable),
     MARIUS_KIND_SCORE_FUNCTION, MARIUS_CAP_CPU, create, destroy},
    width, init, BROKEN_VARIANT == 2 ? NULL : fwd, fwd};

static const marius_plugin_descriptor kDescriptor = {
    sizeof(marius_plugin_descriptor), MARIUS_KIND_SCORE_FUNCTION, 1, 0, BROKEN_NAME, "1.0.0", &kVtable.header};

MARIUS_EXPORT marius_status marius_plugin_entry(marius_entry_args* args) {
  args->descriptor = BROKEN_VARIANT == 3 ? NULL : &kDescriptor;
  return MARIUS_OK;
}
