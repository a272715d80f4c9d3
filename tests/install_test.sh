#!/usr/bin/env bash
# Installs the build into a temporary prefix, then:
#  1. compiles <marius/abi.h> as strict C99 from the installed headers;
#  2. checks the installed marius-run finds its built-in plugins with no environment;
#  3. builds sdk/template out of tree against find_package(marius) only;
#  4. loads and checks that plugin through the installed marius-run --plugin.
# Usage: install_test.sh BUILD_DIR TEMPLATE_DIR
set -euo pipefail
build=$1
template=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
test -f "$prefix/include/marius/abi.h"
echo '#include <marius/abi.h>' | cc -std=c99 -Wall -Werror -x c -fsyntax-only -I "$prefix/include" -
echo "ok: <marius/abi.h> compiles as C99"

env -i PATH=/usr/bin:/bin "$prefix/bin/marius-run" plugins list | tee "$tmp/list.txt"
grep -q "$prefix/lib/marius/plugins/distmult.toml (built-in)" "$tmp/list.txt"
echo "ok: installed marius-run finds its built-in plugins"

cp -r "$template" "$tmp/src"
launcher=()
if command -v ccache > /dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$tmp/src" -B "$tmp/plugin-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
  > "$tmp/configure.log" || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/plugin-build" -j 2 > "$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
echo "ok: the template builds against the installed SDK"

"$prefix/bin/marius-run" --plugin "$tmp/plugin-build/my_score.toml" plugins check my_score
"$prefix/bin/marius-run" --plugin "$tmp/plugin-build" --set norm=1 plugins check my_score
echo "install: 4 passed, 0 failed"
