// core/run/allocator.h - how the process's allocator treats a training run's
// short-lived buffers.
//
// Every batch allocates and frees the same tensors (scores, gradients, gathered
// rows). With glibc's defaults a freed block above the adaptive mmap threshold
// goes back to the kernel and the next batch faults its pages in again, zeroed:
// on configuration R that is a third of the run's CPU time spent in the kernel
// (bench/README.md). keep_freed_memory_for_reuse raises the mmap and trim
// thresholds so freed blocks stay in the heap for the next batch; resident
// memory then stays at the run's peak, which the memory estimate
// (memory_budget.h) already budgets for.
#pragma once

namespace marius {

// Tunes glibc's malloc once per process (later calls do nothing). Leaves it
// alone when the user tuned it (GLIBC_TUNABLES, MALLOC_MMAP_THRESHOLD_,
// MALLOC_TRIM_THRESHOLD_) or when the allocator is not glibc's (sanitizers).
void keep_freed_memory_for_reuse();

}  // namespace marius
