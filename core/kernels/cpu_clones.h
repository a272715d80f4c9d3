// MARIUS_CPU_CLONES: compiles a hot kernel once per CPU level (AVX-512F, AVX2, baseline); the
// dynamic loader picks one through an ifunc resolver when the library is loaded.
//
// Under ThreadSanitizer the kernel is compiled once, for the baseline: the compiler instruments
// the resolver too, and the loader runs it before the sanitizer's runtime is initialised, which
// crashes every program linking the core at startup.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define MARIUS_TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MARIUS_TSAN_BUILD 1
#endif
#endif

#if defined(MARIUS_TSAN_BUILD)
#define MARIUS_CPU_CLONES
#else
#define MARIUS_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
