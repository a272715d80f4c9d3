// core/kernels/kernel_threads.h - the thread counts of ATen's and the BLAS's
// kernels for the duration of a scope.
#pragma once

namespace marius {

// While alive, ATen's intra-op threads are `aten_threads` and the BLAS's own
// threads (OpenBLAS) `blas_threads` (pipelined training: 1 and 1, so stage
// workers each use one core without oversubscription); the previous settings
// come back on destruction (evaluation then uses every core).
class KernelThreads {
 public:
  KernelThreads(int aten_threads, int blas_threads);
  ~KernelThreads();
  KernelThreads(const KernelThreads&) = delete;
  KernelThreads& operator=(const KernelThreads&) = delete;

 private:
  static void set(int aten, int blas);
  int aten_threads_;
  int blas_threads_ = 0;
};

}  // namespace marius
