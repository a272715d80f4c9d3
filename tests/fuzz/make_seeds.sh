#!/usr/bin/env bash
# Regenerates the binary seed corpora of tests/fuzz (dataset, checkpoint, partition)
# from small real runs of marius-run. Usage: make_seeds.sh MARIUS_RUN
# The seeds are committed; run this after a format change (docs/formats.md).
set -euo pipefail
run=${1:?usage: make_seeds.sh MARIUS_RUN}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'a\tr1\tb\nb\tr2\tc\nc\tr1\ta\nd\tr2\ta\ne\tr1\td\nf\tr1\ta\n' > "$tmp/train.tsv"
printf 'a\tr2\tc\n' > "$tmp/valid.tsv"
printf 'b\tr1\td\n' > "$tmp/test.tsv"
printf '1 2\n2 3\n3 4\n4 1\n5 1\n6 2\n' > "$tmp/plain.tsv"
"$run" preprocess --train "$tmp/train.tsv" --valid "$tmp/valid.tsv" --test "$tmp/test.tsv" --output "$tmp/kg" > /dev/null
"$run" preprocess --train "$tmp/train.tsv" --valid "$tmp/valid.tsv" --test "$tmp/test.tsv" --partitions 3 \
  --output "$tmp/kg2" > /dev/null
"$run" preprocess --train "$tmp/plain.tsv" --delimiter space --ids integer --output "$tmp/plain" > /dev/null
cat > "$tmp/c.toml" <<TOML
[model]
dim = 4
[training]
epochs = 1
batch_size = 4
[negatives]
per_chunk = 2
[evaluation]
protocol = "none"
TOML
"$run" train "$tmp/c.toml" --set dataset.path="$tmp/kg" --set output.dir="$tmp/out" > /dev/null 2>&1
"$run" train "$tmp/c.toml" --set dataset.path="$tmp/kg2" --set output.dir="$tmp/out2" --set storage.buffer_capacity=2 \
  > /dev/null 2>&1
"$run" train "$tmp/c.toml" --set dataset.path="$tmp/plain" --set output.dir="$tmp/out3" --set model.score=dot \
  > /dev/null 2>&1
python3 - "$here" "$tmp" <<'PY'
import os, struct, sys
here, tmp = sys.argv[1], sys.argv[2]
sep = b"\n==> marius fuzz file <==\n"
names = ["header.bin", "train.edges", "valid.edges", "test.edges", "train.buckets", "degrees.bin",
         "nodes.txt", "relations.txt"]  # dataset_file_names() order
def pack(d):
    return sep.join(open(os.path.join(d, n), "rb").read() if os.path.exists(os.path.join(d, n)) else b"" for n in names)
for name in ["kg", "kg2", "plain"]:
    open(os.path.join(here, "corpus/dataset", name), "wb").write(pack(os.path.join(tmp, name)))
for name, out in [("kg", "out"), ("kg2_partitioned", "out2"), ("plain_dot", "out3")]:
    data = open(os.path.join(tmp, out, "checkpoint.bin"), "rb").read()
    open(os.path.join(here, "corpus/checkpoint", name), "wb").write(data[:-4])  # the target appends the CRC
# partition: control bytes (p=3 -> 2, dim=4 -> 3, nodes, generation | right crcs) + a generation file
parts = os.path.join(tmp, "out2", "partitions")
for g in (0, 1):
    f = os.path.join(parts, f"nodes.{g}.bin")
    if os.path.exists(f):
        data = open(f, "rb").read()
        nodes = len(data) // (8 * 4)
        open(os.path.join(here, "corpus/partition", f"generation{g}"), "wb").write(bytes([2, 3, nodes, g | 2]) + data)
        open(os.path.join(here, "corpus/partition", f"generation{g}_wrong_crc"), "wb").write(bytes([2, 3, nodes, g]) + data)
PY
echo "seeds written under $here/corpus"
