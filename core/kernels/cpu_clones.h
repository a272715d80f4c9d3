// MARIUS_CPU_CLONES: compiles a hot kernel once per CPU level (AVX-512F, AVX2, baseline); the
// dynamic loader picks one through an ifunc resolver when the library is loaded.
//
// Under ThreadSanitizer the kernel is compiled once, for the baseline: the compiler instruments
// the resolver too, and the loader runs it before the sanitizer's runtime is initialised, which
// crashes every program linking the core at startup.
#pragma once

#include "core/thread_sanitizer.h"

#if defined(MARIUS_THREAD_SANITIZER)
#define MARIUS_CPU_CLONES
#else
#define MARIUS_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
