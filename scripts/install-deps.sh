#!/usr/bin/env bash
# Installs everything marius needs on Debian 12, from Debian's own packages.
#
# LibTorch's matrix products run on whatever BLAS libblas.so.3 points to.
# Debian's default is the reference BLAS (~8 GFLOP/s float32 GEMM on two cores);
# OpenBLAS runs the same GEMM at ~250 GFLOP/s, and training is mostly GEMM. So we
# install OpenBLAS and point the libblas.so.3 / liblapack.so.3 alternatives at it.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config
  libtorch-dev                                  # LibTorch 1.13 (CPU)
  libopenblas0-pthread                          # the optimised BLAS behind LibTorch
  libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libboost-dev libboost-filesystem-dev          # Boost.DLL (header-only) + Boost.Filesystem
  libdlpack-dev zlib1g-dev liburing-dev
  libgloo-dev                                   # Gloo headers: c10d process groups (distributed training)
  libmetis-dev                                  # METIS: locality-aware node partitions (preprocess --partitioner metis)
  nlohmann-json3-dev                            # JSON for metrics.jsonl and --json outputs
  libgtest-dev libgmock-dev
  python3 python3-numpy python3-pytest          # the Python package and its tests
  python3-matplotlib                            # marius-run report (python3 -m marius.report)
  chromium-headless-shell                       # the report test renders the page as a browser does
  libfaiss-dev libopenblas-pthread-dev          # FAISS: similarity indexes (marius-run similar --index ivf)
  libcurl4-openssl-dev libarchive-dev libssl-dev  # datasets fetch: downloads, archives, SHA-256
  python3-pip python3-setuptools python3-wheel  # pip install ./python, offline (tests/install_test.sh)
)

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi

arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  target=/usr/lib/$arch/openblas-pthread/$lib
  if [[ -e $target ]]; then $sudo update-alternatives --set "$lib-$arch" "$target" > /dev/null; fi
done
echo "install-deps: libblas.so.3 -> $(readlink -f /usr/lib/$arch/libblas.so.3)"
