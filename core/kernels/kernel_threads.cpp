#include "core/kernels/kernel_threads.h"

#include <dlfcn.h>

#include <ATen/Parallel.h>

namespace marius {

KernelThreads::KernelThreads(int aten_threads, int blas_threads) : aten_threads_(at::get_num_threads()) {
  using GetThreads = int (*)();
  if (auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) blas_threads_ = get();
  set(aten_threads, blas_threads);
}

KernelThreads::~KernelThreads() { set(aten_threads_, blas_threads_); }

void KernelThreads::set(int aten, int blas) {
  at::set_num_threads(aten);
  using SetThreads = void (*)(int);
  if (blas > 0) {
    if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(blas);
  }
}

}  // namespace marius
