// bench/gemm: this machine's float32 matrix-product rate through LibTorch, the
// yardstick every training throughput is stated against.
//
//   build/bin/marius-bench-gemm [--size N] [--seconds S]
//
// Prints one JSON object: {"benchmark":"gemm","size":N,"threads":T,"gflops":G,...}.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  int64_t n = 1024;
  double seconds = 2.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--size") == 0) n = std::atoll(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--size N] [--seconds S]\n", argv[0]);
      return 2;
    }
  }
  at::Tensor a = at::randn({n, n}), b = at::randn({n, n}), c = at::empty({n, n});
  at::mm_out(c, a, b);  // warm-up
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  int64_t reps = 0;
  double elapsed = 0;
  while (elapsed < seconds) {
    at::mm_out(c, a, b);
    ++reps;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  }
  double gflops = 2.0 * n * n * n * reps / elapsed / 1e9;
  std::printf("{\"benchmark\":\"gemm\",\"dtype\":\"float32\",\"size\":%lld,\"aten_threads\":%d,\"repetitions\":%lld,"
              "\"seconds\":%.3f,\"gflops\":%.1f}\n",
              static_cast<long long>(n), at::get_num_threads(), static_cast<long long>(reps), elapsed, gflops);
  return 0;
}
