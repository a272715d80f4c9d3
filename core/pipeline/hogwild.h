// core/pipeline/hogwild.h - marks the node-row accesses that race on purpose.
#pragma once

#include "core/thread_sanitizer.h"

#ifdef MARIUS_THREAD_SANITIZER
extern "C" {  // ThreadSanitizer's runtime (dynamic annotations)
void AnnotateIgnoreReadsBegin(const char* file, int line);
void AnnotateIgnoreReadsEnd(const char* file, int line);
void AnnotateIgnoreWritesBegin(const char* file, int line);
void AnnotateIgnoreWritesEnd(const char* file, int line);
}
#endif

namespace marius {

// Hogwild node rows (docs/pipeline.md, "Write conflicts"): a load gathers node rows that an update may be
// writing at that moment, and several update workers may write one row at once. These races are the design.
// A HogwildAccess scope says so to ThreadSanitizer: in a TSan build the calling thread's memory accesses
// inside the scope are neither checked nor recorded, whatever the stack; in other builds it is empty.
// Keep a scope to the node-row gathers and updates themselves: nothing else inside it is checked.
// Stage workers run single-threaded kernels (docs/pipeline.md, "Threads"), so the scope covers them.
class HogwildAccess {
 public:
#ifdef MARIUS_THREAD_SANITIZER
  HogwildAccess() {
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
  }
  ~HogwildAccess() {
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
  }
#else
  HogwildAccess() = default;
#endif
  HogwildAccess(const HogwildAccess&) = delete;
  HogwildAccess& operator=(const HogwildAccess&) = delete;
};

}  // namespace marius
