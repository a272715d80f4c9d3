#!/usr/bin/env bash
# Configures and builds marius into ./build, or $BUILD_DIR when set (Release, Ninja,
# ccache when present).
# Extra arguments go to CMake, e.g. -DCMAKE_PREFIX_PATH=/path/to/libtorch for a CUDA LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" > "$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
jobs=$(nproc)
cmake --build "$build" -j "$jobs"
