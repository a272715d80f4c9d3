/*
 * marius/abi.h - the marius plugin C ABI, version 1.0 (umbrella header).
 *
 *   common.h    versions, status codes, kinds, capabilities, options, call context
 *   host.h      services the host hands to plugins (log, errors, memory, RNG)
 *   plugin.h    the entry function, the descriptor and the common vtable header
 *   score.h     score functions          sampler.h   negative samplers
 *   ordering.h  edge-bucket orderings    storage.h   storage backends
 *
 * docs/abi.md states the versioning, ownership and threading rules.
 */
#ifndef MARIUS_ABI_H_
#define MARIUS_ABI_H_

#include "marius/abi/common.h"
#include "marius/abi/host.h"
#include "marius/abi/plugin.h"
#include "marius/abi/score.h"
#include "marius/abi/sampler.h"
#include "marius/abi/ordering.h"
#include "marius/abi/storage.h"

#endif /* MARIUS_ABI_H_ */
