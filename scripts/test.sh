#!/usr/bin/env bash
# The README's second command: install, build, and run the whole test suite.
#
#   scripts/test.sh                               Release build in ./build, every test
#   scripts/test.sh --sanitize address,undefined  ASan+UBSan build in ./build-asan, every test
#   scripts/test.sh --sanitize thread             TSan build in ./build-tsan: the threaded parts
#                                                 (pipeline, partition buffer, device tier, training
#                                                 runs, GNN training and async dense updates,
#                                                 C API, Python package)
#   scripts/test.sh [...] -- CTEST_ARGS           passes CTEST_ARGS to ctest (e.g. -E NAME_REGEX)
# Sanitizer findings fail the test that triggers them; the suppressions, each explained, are in
# tests/sanitizers/ (docs/hardening.md).
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=""
ctest_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --sanitize) sanitize=${2:?--sanitize needs address,undefined or thread}; shift 2 ;;
    --sanitize=*) sanitize=${1#--sanitize=}; shift ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "usage: $0 [--sanitize address,undefined | --sanitize thread] [-- CTEST_ARGS]" >&2; exit 2 ;;
  esac
done
bash scripts/install-deps.sh
if [[ -z $sanitize ]]; then
  bash scripts/build.sh
  cd build
  exec ctest --output-on-failure -j "$(nproc)" "${ctest_args[@]}"
fi

here=$(pwd)
case $sanitize in
  *thread*) build=build-tsan ;;
  *) build=build-asan ;;
esac
BUILD_DIR=$build bash scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMARIUS_SANITIZE="$sanitize"
export MARIUS_SANITIZE=$sanitize  # tests that cannot run under a sanitizer (ulimit -v) skip, saying so
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0:suppressions=$here/tests/sanitizers/asan.supp"
export LSAN_OPTIONS="suppressions=$here/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$here/tests/sanitizers/ubsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=7:report_signal_unsafe=0:suppressions=$here/tests/sanitizers/tsan.supp"
cd "$build"
if [[ $sanitize == *thread* ]]; then
  # The threaded parts; LibTorch's and OpenBLAS's own threads are not instrumented.
  exec ctest --output-on-failure -j "$(nproc)" --timeout 1200 \
    -R '^(Pipeline|PipelineTrain|PartitionBuffer|Shapes/PartitionBufferPlan|PartitionStore|Backends/ReentrantBackend|DeviceTier|RunGuards|GnnTrain|DenseParameters|capi|python|out_of_core_cli|train_cli)' \
    "${ctest_args[@]}"
fi
exec ctest --output-on-failure -j "$(nproc)" --timeout 1200 "${ctest_args[@]}"
