#!/usr/bin/env bash
# End-to-end link prediction through marius-run on a generated graph:
# generate -> preprocess -> train -> eval -> export (read back) -> predict,
# resume reproducing the uninterrupted run bit for bit (sync mode), the pipelined
# default and its monitor, Ctrl-C and SIGKILL leaving a loadable checkpoint, and config errors naming the key.
# Usage: train_cli_test.sh MARIUS_RUN
run=$1
source "$(dirname "$0")/shell_test_lib.sh"

cat > "$tmp/c.toml" <<TOML
[dataset]
path = "$tmp/data"
[model]
score = "distmult"
dim = 16
[negatives]
chunks = 4
per_chunk = 50
[training]
epochs = 3
batch_size = 500
threads = 1
# Sync: the checks below compare runs bit for bit.
[pipeline]
mode = "sync"
[evaluation]
every_epoch = true
[output]
dir = "$tmp/a"
TOML

check "generate" "$run" generate --output "$tmp/raw" --nodes 300 --relations 4 --edges 6000 --clusters 30 --seed 3
check "preprocess" "$run" preprocess --train "$tmp/raw/train.tsv" --valid "$tmp/raw/valid.tsv" --test "$tmp/raw/test.tsv" --output "$tmp/data"
check "train" "$run" train "$tmp/c.toml"
check "metrics: one line per epoch plus a summary" bash -c "[ \$(wc -l < '$tmp/a/metrics.jsonl') -eq 4 ]"
check "metrics fields" bash -c "grep -q '\"edges_per_sec\"' '$tmp/a/metrics.jsonl' && grep -q '\"peak_rss_mb\"' '$tmp/a/metrics.jsonl' && grep -q '\"valid\"' '$tmp/a/metrics.jsonl'"
# Chance MRR over 300 candidates is about 0.02 (H_300/300); the planted structure allows ~0.3.
check "test MRR far above chance" /usr/bin/python3 -c "
import json
s = [json.loads(l) for l in open('$tmp/a/metrics.jsonl')][-1]
assert s['test']['mrr'] > 0.1, s"
# The other negative layouts learn too: one set per side, and no inverse relations (head corruption scored directly).
for setting in negatives.shared_sides=false model.inverse_relations=false negatives.anchor_negatives=true; do
  check "train with $setting" "$run" train "$tmp/c.toml" --set "$setting" --set output.dir="$tmp/v" --set evaluation.every_epoch=false --overwrite
  check "$setting: test MRR far above chance" /usr/bin/python3 -c "
import json
s = [json.loads(l) for l in open('$tmp/v/metrics.jsonl')][-1]
assert s['test']['mrr'] > 0.1, s"
done
# The default pipeline (stages on their own threads, up to 4 batches in flight):
# it learns, and each epoch's metrics show every stage and queue.
check "train pipelined" "$run" train "$tmp/c.toml" --set pipeline.mode=pipelined --set training.threads=2 --set output.dir="$tmp/p" --set evaluation.every_epoch=false
check "pipelined: MRR far above chance, per-stage monitor in the metrics" /usr/bin/python3 -c "
import json
lines = [json.loads(l) for l in open('$tmp/p/metrics.jsonl')]
assert lines[-1]['test']['mrr'] > 0.1, lines[-1]
p = lines[0]['pipeline']
assert p['mode'] == 'pipelined' and p['staleness'] == 4, p
for s in ('load', 'compute', 'update'):
    assert 0 <= p['stages'][s]['busy'] <= 1 and p['stages'][s]['batches'] == 10, p
assert p['stages']['compute']['workers'] == 2, p
assert p['in_flight_max'] <= 4 and p['queues']['load_to_compute']['max_depth'] <= 2, p"

# Ctrl-C or SIGTERM (a script's background job ignores SIGINT, so SIGTERM here;
# both go through the same handler): the batches in flight finish, marius-run
# exits with status 130 and the last checkpoint stays loadable.
"$run" train "$tmp/c.toml" --set pipeline.mode=pipelined --set training.epochs=400 --set output.dir="$tmp/i" --set evaluation.protocol=none > /dev/null 2> "$tmp/i.err" &
pid=$!
for _ in $(seq 100); do [ -f "$tmp/i/checkpoint.bin" ] && break; sleep 0.1; done
sleep 0.3
kill -TERM $pid
wait $pid
status=$?
check "SIGTERM exits with status 130" test "$status" -eq 130
check "SIGTERM: the error says what was kept" grep -q "interrupted.*keeps the checkpoint of epoch .*--resume" "$tmp/i.err"
check "checkpoint after SIGTERM loads" "$run" eval "$tmp/c.toml" --set output.dir="$tmp/i"

check "eval of the saved model" bash -c "'$run' eval '$tmp/c.toml' > '$tmp/eval.json' && grep -q '\"mrr\"' '$tmp/eval.json'"

# The checkpoint records its dataset: the same graph with other node ids (same counts) is refused, naming both.
mkdir -p "$tmp/raw-renamed"
for f in train valid test; do sed 's/n/v/g' "$tmp/raw/$f.tsv" > "$tmp/raw-renamed/$f.tsv"; done
check "preprocess a renamed copy" "$run" preprocess --train "$tmp/raw-renamed/train.tsv" --valid "$tmp/raw-renamed/valid.tsv" --test "$tmp/raw-renamed/test.tsv" --output "$tmp/renamed"
expect "eval on another dataset of the same shape is refused" 1 \
  "checkpoint $tmp/a/checkpoint.bin was trained on $tmp/data (300 nodes, 4 relations" -- \
  "$run" eval "$tmp/c.toml" --set dataset.path="$tmp/renamed"
expect "export on another dataset names it" 1 "not on $tmp/renamed (300 nodes, 4 relations" -- \
  "$run" export "$tmp/c.toml" --set dataset.path="$tmp/renamed" --output "$tmp/export-renamed"
check "nothing exported for the other dataset" test ! -e "$tmp/export-renamed/nodes.tsv"

check "export" "$run" export "$tmp/c.toml" --output "$tmp/export"
check "export round trip: npy and tsv agree, ids match the dataset" /usr/bin/python3 -c "
import numpy as np
e = np.load('$tmp/export/nodes.npy')
ids = open('$tmp/export/node_ids.txt').read().split('\n')[:-1]
rows = [l.rstrip('\n').split('\t') for l in open('$tmp/export/nodes.tsv')]
assert e.shape == (len(ids), 16), e.shape
assert [r[0] for r in rows] == ids
assert np.allclose(np.array([[float(x) for x in r[1:]] for r in rows], dtype=np.float32), e, atol=1e-6)
assert ids == open('$tmp/data/nodes.txt').read().split('\n')[:-1]
r = np.load('$tmp/export/relations.npy')
assert r.shape == (8, 16), r.shape  # 4 relations and their inverses
"
check "predict tails" bash -c "'$run' predict '$tmp/c.toml' --head n0 --relation r0 -k 3 | tee '$tmp/p.txt' && [ \$(wc -l < '$tmp/p.txt') -eq 4 ]"
check "predict heads" "$run" predict "$tmp/c.toml" --tail n1 --relation r1 -k 3
check "predict names an unknown id" bash -c "! '$run' predict '$tmp/c.toml' --head nope --relation r0 2> '$tmp/e.txt' && grep -q \"unknown node id 'nope'\" '$tmp/e.txt'"

# Resume: 2 epochs, then --resume to 3, equals 3 epochs straight (one thread).
check "train 2 epochs" "$run" train "$tmp/c.toml" --set training.epochs=2 --set output.dir="$tmp/b"
check "resume to 3 epochs" "$run" train "$tmp/c.toml" --resume --set output.dir="$tmp/b"
check "export resumed" "$run" export "$tmp/c.toml" --set output.dir="$tmp/b" --output "$tmp/export-b"
check "resume reproduces the uninterrupted run exactly" cmp "$tmp/export/nodes.npy" "$tmp/export-b/nodes.npy"
check "resume reproduces relations exactly" cmp "$tmp/export/relations.npy" "$tmp/export-b/relations.npy"

# SIGKILL in the middle of training leaves the previous checkpoint loadable.
"$run" train "$tmp/c.toml" --set training.epochs=400 --set output.dir="$tmp/k" --set evaluation.protocol=none > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -f "$tmp/k/checkpoint.bin" ] && break; sleep 0.1; done
sleep 0.5
kill -9 $pid 2> /dev/null
wait $pid 2> /dev/null
check "checkpoint after SIGKILL loads" "$run" eval "$tmp/c.toml" --set output.dir="$tmp/k"
cp "$tmp/k/checkpoint.bin" "$tmp/corrupt.bin"
printf '\377' | dd of="$tmp/corrupt.bin" bs=1 seek=200 conv=notrunc 2> /dev/null
mkdir -p "$tmp/c" && mv "$tmp/corrupt.bin" "$tmp/c/checkpoint.bin"
check "a corrupted checkpoint is refused" bash -c "! '$run' eval '$tmp/c.toml' --set output.dir='$tmp/c' 2> '$tmp/e.txt' && grep -q 'checksum mismatch' '$tmp/e.txt'"
check "training resumes after SIGKILL" "$run" train "$tmp/c.toml" --resume --set output.dir="$tmp/k" --set training.epochs=1000 --set training.epochs=3 --set evaluation.protocol=none

# A fresh run does not replace a trained checkpoint unless told to.
cp "$tmp/a/checkpoint.bin" "$tmp/a.before"
check "train over a checkpoint is refused" bash -c "! '$run' train '$tmp/c.toml' --set training.epochs=0 2> '$tmp/e.txt' && grep -q 'already holds a checkpoint.*--resume.*--overwrite' '$tmp/e.txt'"
check "the refused run left the checkpoint alone" cmp "$tmp/a/checkpoint.bin" "$tmp/a.before"
check "--overwrite replaces it" "$run" train "$tmp/c.toml" --set training.epochs=1 --set output.dir="$tmp/v" --overwrite --set evaluation.protocol=none

# Nothing non-finite is trained, reported or saved.
check "a NaN learning rate is refused by key" bash -c "! '$run' train '$tmp/c.toml' --set optimizer.learning_rate=nan --set output.dir='$tmp/nan' 2> '$tmp/e.txt' && grep -q 'optimizer.learning_rate must be a finite number, got nan' '$tmp/e.txt'"
check "a diverging model stops with an error naming epoch and batch, and reports no MRR" bash -c "! '$run' train '$tmp/c.toml' --set model.init_scale=1e30 --set output.dir='$tmp/nan' > '$tmp/o.txt' 2> '$tmp/e.txt' && grep -q 'epoch 1, batch 1: .* is not finite' '$tmp/e.txt' && ! grep -q MRR '$tmp/o.txt' && [ ! -e '$tmp/nan/checkpoint.bin' ]"

# A run that cannot fit in what the process may use is refused by key before it allocates (ulimit -v here; a
# cgroup limit or MemAvailable elsewhere), not OOM-killed or ended by a backtrace.
if [[ -n ${MARIUS_SANITIZE:-} ]]; then
  echo "skip: too little memory (ulimit -v): a $MARIUS_SANITIZE build reserves terabytes of shadow address space"
else
  check "too little memory is refused naming the keys" bash -c "! (ulimit -v 4000000; '$run' train '$tmp/c.toml' --set model.dim=60000 --set training.batch_size=5000 --set negatives.per_chunk=1000 --set output.dir='$tmp/mem' 2> '$tmp/e.txt') && grep -q 'training needs about .* GiB of memory but this process may use .*ulimit -v.*model.dim' '$tmp/e.txt' && ! grep -q 'frame #' '$tmp/e.txt'"
fi

# Negatives a benchmark ships (OGB-style): shared edges (Hits@K of each positive against all, K from
# evaluation.hits_at) and per-edge candidate tails (MRR), each named in the output with their counts.
/usr/bin/python3 - "$tmp" <<'PY'
import random, sys
tmp = sys.argv[1]
rng = random.Random(4)
nodes = sorted({x for line in open(f"{tmp}/raw/train.tsv") for x in line.split()[0::2]})
with open(f"{tmp}/neg-shared.tsv", "w") as f:
    for line in open(f"{tmp}/raw/test.tsv"):
        h, r, t = line.split()
        f.write(f"{rng.choice(nodes)}\t{r}\t{rng.choice(nodes)}\n")
with open(f"{tmp}/neg-tails.txt", "w") as f:
    for line in open(f"{tmp}/raw/test.tsv"):
        f.write(" ".join(rng.choice(nodes) for _ in range(30)) + "\n")
PY
check "preprocess --test-negatives (shared)" bash -c "'$run' preprocess --train '$tmp/raw/train.tsv' --valid '$tmp/raw/valid.tsv' --test '$tmp/raw/test.tsv' --test-negatives '$tmp/neg-shared.tsv' --output '$tmp/data-given' > '$tmp/o.txt' && grep -q 'negatives  test: [0-9]* shared negative edges' '$tmp/o.txt'"
check "given protocol: Hits@K against the shared set" bash -c "'$run' train '$tmp/c.toml' --set dataset.path='$tmp/data-given' --set output.dir='$tmp/g' --set evaluation.protocol=given --set evaluation.every_epoch=false --set 'evaluation.hits_at=[20, 50]' > '$tmp/o.txt' && grep -E -q '^test Hits@20 [01]\.[0-9]{4} Hits@50 [01]\.[0-9]{4}  \(given: [0-9]+ positives, each against all [0-9]+ shared negative edges' '$tmp/o.txt' && ! grep -q MRR '$tmp/o.txt'"
check "given protocol: validation each epoch without valid negatives is refused before training" bash -c "! '$run' train '$tmp/c.toml' --set dataset.path='$tmp/data-given' --set output.dir='$tmp/g2' --set evaluation.protocol=given 2> '$tmp/e.txt' && grep -q 'no negatives for the valid split (marius-run preprocess --valid-negatives FILE)' '$tmp/e.txt' && [ ! -e '$tmp/g2/checkpoint.bin' ]"
check "preprocess --negatives-layout tails" "$run" preprocess --train "$tmp/raw/train.tsv" --valid "$tmp/raw/valid.tsv" --test "$tmp/raw/test.tsv" --test-negatives "$tmp/neg-tails.txt" --negatives-layout tails --output "$tmp/data-tails"
check "given protocol: MRR against per-edge tails" bash -c "'$run' eval '$tmp/c.toml' --set dataset.path='$tmp/data-tails' --set output.dir='$tmp/g' --set evaluation.protocol=given --split test > '$tmp/o.txt' 2>&1 && grep -E -q '^test MRR [01]\.[0-9]{4} .*Hits@10 .*Hits@20 .*Hits@50 .*Hits@100 .*\(given: 30 tails per edge' '$tmp/o.txt'"
printf 'n1 n2\n' > "$tmp/neg-short.txt"
check "per-edge negatives: a line count that is not the split's is refused naming the file" bash -c "! '$run' preprocess --train '$tmp/raw/train.tsv' --valid '$tmp/raw/valid.tsv' --test '$tmp/raw/test.tsv' --test-negatives '$tmp/neg-short.txt' --negatives-layout tails --output '$tmp/data-bad' 2> '$tmp/e.txt' && grep -q 'neg-short.txt: 1 lines of candidates for a split of' '$tmp/e.txt' && [ ! -e '$tmp/data-bad' ]"

# Config errors name the key (and file:line).
printf '[training]\nepochz = 3\n' > "$tmp/bad.toml"
check "unknown key" bash -c "! '$run' train '$tmp/bad.toml' 2> '$tmp/e.txt' && grep -q \"$tmp/bad.toml:2: unknown key 'training.epochz'\" '$tmp/e.txt'"
printf '[training]\nepochs = "three"\n' > "$tmp/bad.toml"
check "wrong type" bash -c "! '$run' train '$tmp/bad.toml' 2> '$tmp/e.txt' && grep -q 'training.epochs expects integer, got string' '$tmp/e.txt'"
check "--set wrong type" bash -c "! '$run' train '$tmp/c.toml' --set model.dim=big 2> '$tmp/e.txt' && grep -q -- 'override: model.dim expects integer' '$tmp/e.txt'"
check "bad plugin option" bash -c "! '$run' train '$tmp/c.toml' --set negatives.sampler_options.degree_fraction=2 2> '$tmp/e.txt' && grep -q \"option 'degree_fraction': 2 is above the maximum 1\" '$tmp/e.txt'"

finish train_cli
