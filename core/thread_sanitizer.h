// core/thread_sanitizer.h - MARIUS_THREAD_SANITIZER is defined when this translation unit is
// compiled with ThreadSanitizer (GCC's -fsanitize=thread defines __SANITIZE_THREAD__; clang
// answers __has_feature(thread_sanitizer)).
#pragma once

#if defined(__SANITIZE_THREAD__)
#define MARIUS_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MARIUS_THREAD_SANITIZER 1
#endif
#endif
