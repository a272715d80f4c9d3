#!/usr/bin/env bash
# Installs the build into a temporary prefix, then:
#  1. compiles <marius/abi.h> as strict C99 from the installed headers;
#  2. checks the installed marius-run finds its built-in plugins with no environment;
#  3. builds sdk/template out of tree against find_package(marius) only;
#  4. loads and checks that plugin through the installed marius-run --plugin;
#  5. compiles and runs a C99 program against <marius/embedding.h> and -lmarius;
#  6. runs the installed Python package (Debian's /usr/bin/python3, no environment
#     variables: it finds <prefix>/lib/libmarius.so itself) on a session whose config
#     names that plugin's manifest as model.score;
#  7. pip-installs python/ offline (--no-build-isolation, Debian's setuptools) and
#     imports it against the installed library.
# Usage: install_test.sh BUILD_DIR TEMPLATE_DIR
set -euo pipefail
build=$1
template=$2
source_dir=$(cd "$template/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
# "No environment" keeps a sanitizer build's runtime settings (LD_PRELOAD and the *SAN_OPTIONS that
# tests/CMakeLists.txt and scripts/test.sh --sanitize set); they are empty otherwise.
clean=(env -i PATH=/usr/bin:/bin)
for v in LD_PRELOAD ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS; do
  if [[ -n ${!v:-} ]]; then clean+=("$v=${!v}"); fi
done

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
test -f "$prefix/include/marius/abi.h"
echo '#include <marius/abi.h>' | cc -std=c99 -Wall -Werror -x c -fsyntax-only -I "$prefix/include" -
echo "ok: <marius/abi.h> compiles as C99"

"${clean[@]}" "$prefix/bin/marius-run" plugins list | tee "$tmp/list.txt"
grep -q "$prefix/lib/marius/plugins/distmult.toml (built-in)" "$tmp/list.txt"
echo "ok: installed marius-run finds its built-in plugins"

test -f "$prefix/share/marius/examples/r.toml" && test -f "$prefix/share/marius/docs/plugins.md" &&
  test -f "$prefix/share/marius/docs/README.md"
"${clean[@]}" "$prefix/bin/marius-run" config "$prefix/share/marius/examples/r.toml" > /dev/null
echo "ok: the example configurations and the docs are installed (share/marius/examples, share/marius/docs)"

cp -r "$template" "$tmp/src"
launcher=()
if command -v ccache > /dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$tmp/src" -B "$tmp/plugin-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
  > "$tmp/configure.log" || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/plugin-build" -j 2 > "$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
echo "ok: the template builds against the installed SDK"

"$prefix/bin/marius-run" --plugin "$tmp/plugin-build/my_score.toml" plugins check my_score
"$prefix/bin/marius-run" --plugin "$tmp/plugin-build" plugins check my_expression_score
"$prefix/bin/marius-run" --plugin "$tmp/plugin-build/my_layer.toml" plugins check my_layer

# The template's layer trains node classification through --plugin: 3 planted classes,
# features a noisy one-hot of the class, edges mostly within a class.
/usr/bin/python3 - "$tmp/nc" <<'EOF2'
import os, random, sys
out = sys.argv[1]
os.makedirs(out)
rng = random.Random(3)
n, classes = 300, 3
label = [i % classes for i in range(n)]
with open(f"{out}/edges.tsv", "w") as f:
    for i in range(n):
        for _ in range(4):
            j = rng.randrange(n)
            if rng.random() < 0.85:
                j = rng.randrange(n // classes) * classes + label[i]
            f.write(f"v{i}\tv{j}\n")
with open(f"{out}/features.tsv", "w") as f:
    for i in range(n):
        x = [rng.gauss(0, 1) + (1.0 if k == label[i] else 0.0) for k in range(classes)] + [rng.gauss(0, 1)]
        f.write(f"v{i}\t" + " ".join(f"{v:.4f}" for v in x) + "\n")
with open(f"{out}/labels.tsv", "w") as f:
    f.writelines(f"v{i}\t{label[i]}\n" for i in range(n))
for name, part in (("train", range(0, 150)), ("valid", range(150, 200)), ("test", range(200, 300))):
    with open(f"{out}/{name}_nodes.txt", "w") as f:
        f.writelines(f"v{i}\n" for i in part)
with open(f"{out}/config.toml", "w") as f:
    f.write(f"""[dataset]
path = "{out}/data"
[model]
task = "node_classification"
encoder = "my_layer"
layers = 2
hidden_dim = 16
fanouts = "all"
[training]
epochs = 30
batch_size = 50
[optimizer]
dense_learning_rate = 0.02
[output]
dir = "{out}/out"
""")
EOF2
"${clean[@]}" "$prefix/bin/marius-run" preprocess --train "$tmp/nc/edges.tsv" --features "$tmp/nc/features.tsv" \
  --labels "$tmp/nc/labels.tsv" --train-nodes "$tmp/nc/train_nodes.txt" --valid-nodes "$tmp/nc/valid_nodes.txt" \
  --test-nodes "$tmp/nc/test_nodes.txt" --output "$tmp/nc/data" > /dev/null
"${clean[@]}" "$prefix/bin/marius-run" --plugin "$tmp/plugin-build/my_layer.toml" train "$tmp/nc/config.toml" \
  2> /dev/null | tee "$tmp/nc.txt" | tail -3
accuracy=$(sed -n 's/^test accuracy \([0-9.]*\).*/\1/p' "$tmp/nc.txt")
/usr/bin/python3 -c "import sys; a = float('$accuracy'); sys.exit(0 if a >= 0.7 else 1)" ||
  { echo "the template layer reached test accuracy '$accuracy' (< 0.7)"; exit 1; }
echo "ok: the template's layer trains node classification through --plugin (test accuracy $accuracy)"

cat > "$tmp/embed.c" <<'EOF2'
#include <stdio.h>
#include <string.h>
#include <marius/embedding.h>
int main(void) {
  marius_session* s = NULL;
  marius_session_args args;
  memset(&args, 0, sizeof args);
  args.struct_size = sizeof args;
  args.config_path = "/nonexistent/config.toml";
  if (marius_session_open(&args, &s) != MARIUS_ERR_NOT_FOUND || strstr(marius_last_error(), "/nonexistent") == NULL) {
    return 1;
  }
  printf("embedding API %u.%u: %s\n", marius_embedding_version() >> 16, marius_embedding_version() & 0xffff,
         marius_last_error());
  return 0;
}
EOF2
cc -std=c99 -Wall -Werror -pedantic "$tmp/embed.c" -I "$prefix/include" -L "$prefix/lib" -lmarius \
  -Wl,-rpath,"$prefix/lib" -o "$tmp/embed"
"${clean[@]}" "$tmp/embed"
echo "ok: a C99 program builds and runs against the installed embedding API"

test -f "$prefix/lib/marius/python/marius/__init__.py"
"${clean[@]}" HOME="$tmp" PYTHONPATH="$prefix/lib/marius/python" PYTHONDONTWRITEBYTECODE=1 \
  /usr/bin/python3 - "$prefix" "$tmp" "$tmp/plugin-build/my_score.toml" <<'EOF2'
import random, sys
import marius
prefix, work, manifest = sys.argv[1:]
assert marius.library_path() == f"{prefix}/lib/libmarius.so", marius.library_path()
rng = random.Random(5)
with open(f"{work}/train.tsv", "w") as f:
    for _ in range(3000):
        h, r = rng.randrange(100), rng.randrange(2)
        f.write(f"n{h}\tr{r}\tn{(h % 10 + r + 1) % 10 + 10 * rng.randrange(10)}\n")
marius.set_log_level("warn")
marius.preprocess(f"{work}/data", train=f"{work}/train.tsv")
config = f"""
[dataset]
path = "{work}/data"
[model]
score = "{manifest}"
dim = 8
[negatives]
chunks = 2
per_chunk = 20
[training]
batch_size = 300
loss = "ranking"
[evaluation]
protocol = "none"
[output]
dir = "{work}/out"
"""
with marius.Session(config) as s:
    assert s.info()["score"] == manifest
    r = s.train(2)
    assert r["epochs_done"] == 2 and r["loss"] > 0, r
    emb = s.embeddings()
    assert emb.shape == (100, 8) and emb.ctypes.data == s.info()["node_table_address"]
    print("python: my_score via", manifest, "->", s.predict("n0", "r1", k=3))
try:
    marius.Session(config.replace(manifest, manifest + ".missing"))
    raise SystemExit("a missing manifest must fail")
except marius.MariusError as e:
    assert "my_score.toml.missing" in str(e), e
EOF2
echo "ok: the installed Python package trains with the out-of-tree plugin named in its config"
"${clean[@]}" "$prefix/bin/marius-run" report "$tmp/out" --out "$tmp/report" > /dev/null
grep -q 'src="data:image/png;base64,' "$tmp/report/report.html" && test -s "$tmp/report/figures/loss.png"
echo "ok: the installed marius-run report finds the installed marius.report"

cp -r "$source_dir/python" "$tmp/python-src"
/usr/bin/python3 -m pip install -q --no-build-isolation --no-index --no-deps --target "$tmp/site" "$tmp/python-src" \
  > "$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; exit 1; }
"${clean[@]}" PYTHONPATH="$tmp/site" MARIUS_LIBRARY="$prefix/lib/libmarius.so" PYTHONDONTWRITEBYTECODE=1 \
  /usr/bin/python3 -c "import marius; assert marius.version()[0] == 1; assert marius.__file__.startswith('$tmp/site')"
echo "ok: pip install ./python (offline) gives a working package"
echo "install: 8 passed, 0 failed"
