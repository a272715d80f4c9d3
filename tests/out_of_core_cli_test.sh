#!/usr/bin/env bash
# Out-of-core training through marius-run on a generated graph preprocessed into
# 4 partitions with 2 in the buffer: it learns, eval/export/predict work without
# loading the table, resume reproduces the uninterrupted run bit for bit, every
# ordering and storage backend gives the same model, SIGKILL during a
# write-back leaves a checkpoint whose partitions pass their checksums, and
# ENOSPC or a failed write ends the run with a clear error and the last
# checkpoint intact; the same resume and SIGKILL checks for a GNN encoder.
# Usage: out_of_core_cli_test.sh MARIUS_RUN
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
every_epoch = false
[storage]
partitions = 4
buffer_capacity = 2
[output]
dir = "$tmp/a"
TOML

check "generate" "$run" generate --output "$tmp/raw" --nodes 400 --relations 4 --edges 8000 --clusters 20 --seed 3
check "preprocess into 4 partitions" "$run" preprocess --train "$tmp/raw/train.tsv" --valid "$tmp/raw/valid.tsv" --test "$tmp/raw/test.tsv" --partitions 4 --output "$tmp/data"
check "train out of core" "$run" train "$tmp/c.toml"
check "partition files and IO metrics" /usr/bin/python3 -c "
import json, os
lines = [json.loads(l) for l in open('$tmp/a/metrics.jsonl')]
io = lines[0]['io']
# BETA with p=4, c=2 makes 5 swaps (the lower bound); 2 + 5 partitions read and written
assert io['swaps'] == 5, io
assert io['partitions_read'] == 2 + 5 and io['partitions_written'] == 7, io
size = os.path.getsize('$tmp/a/partitions/nodes.0.bin')
assert size == 400 * 16 * 8, size  # embeddings and Adagrad state of every node
assert io['bytes_read'] == 7 * size // 4, (io, size)
assert lines[-1]['test']['mrr'] > 0.06, lines[-1]  # chance is about 0.016 (H_400 / 400)
"
check "eval out of core" bash -c "'$run' eval '$tmp/c.toml' > '$tmp/eval.json' && grep -q '\"mrr\"' '$tmp/eval.json'"
check "eval sampled out of core" "$run" eval "$tmp/c.toml" --set evaluation.protocol=sampled --set evaluation.negatives=50
check "export out of core" "$run" export "$tmp/c.toml" --output "$tmp/export"
check "export: npy, tsv and ids agree" /usr/bin/python3 -c "
import numpy as np
e = np.load('$tmp/export/nodes.npy')
ids = open('$tmp/export/node_ids.txt').read().split('\n')[:-1]
rows = [l.rstrip('\n').split('\t') for l in open('$tmp/export/nodes.tsv')]
assert e.shape == (400, 16), e.shape
assert [r[0] for r in rows] == ids == open('$tmp/data/nodes.txt').read().split('\n')[:-1]
assert np.allclose(np.array([[float(x) for x in r[1:]] for r in rows], dtype=np.float32), e, atol=1e-6)
assert np.abs(e).max() > 0.01  # trained, not the initial values
"
check "predict out of core" bash -c "'$run' predict '$tmp/c.toml' --head n0 --relation r0 -k 3 | tee '$tmp/p.txt' && [ \$(wc -l < '$tmp/p.txt') -eq 4 ]"
check "similar out of core (partition by partition) equals brute force on the export" bash -c "
'$run' similar '$tmp/c.toml' --node n5 -k 7 > '$tmp/s.txt' && /usr/bin/python3 -c \"
import numpy as np
e = np.load('$tmp/export/nodes.npy')
ids = open('$tmp/export/node_ids.txt').read().split()
q = e[ids.index('n5')]
cos = e @ q / (np.maximum(np.linalg.norm(e, axis=1), 1e-12) * max(np.linalg.norm(q), 1e-12))
cos[ids.index('n5')] = -np.inf
want = [ids[i] for i in np.argsort(-cos, kind='stable')[:7]]
got = [l.split()[1] for l in open('$tmp/s.txt').read().splitlines()[1:]]
assert got == want, (got, want)
\""

# The IVF index (FAISS), built partition by partition and cached in output.dir/index: with every list probed it is
# exact search; several queries at once print a query column; --recall compares with exact search.
if "$run" similar "$tmp/c.toml" --node n5 --index ivf 2>&1 | grep -q "built without FAISS"; then
  echo "skip: built without FAISS"
else
  check "similar --index ivf, every list probed, equals exact search" bash -c "
'$run' similar '$tmp/c.toml' --node n5 -k 7 --index ivf --nlist 4 --nprobe 4 > '$tmp/si.txt' 2> '$tmp/si.err' && diff <(cut -f1,2 '$tmp/s.txt') <(cut -f1,2 '$tmp/si.txt') && grep -q 'built the IVF index of 400 rows in 4 lists' '$tmp/si.err' && ls '$tmp/a/index/'ivf-cosine-nlist4-*.faiss"
  check "similar --index ivf reads the cached index, several queries" bash -c "
'$run' similar '$tmp/c.toml' --node n5 --node n9 -k 3 --index ivf --nlist 4 > '$tmp/si.txt' 2> '$tmp/si.err' && grep -q 'read the IVF index' '$tmp/si.err' && [ \$(grep -c '^n9	' '$tmp/si.txt') -eq 3 ] && head -1 '$tmp/si.txt' | grep -q '^query	rank	node	cosine'"
  printf 'n1\nn2\nn3\n' > "$tmp/q.txt"
  check "similar --recall prints recall@k against exact search as JSON" bash -c "
'$run' similar '$tmp/c.toml' --nodes '$tmp/q.txt' --index ivf --nlist 4 --nprobe 4 --recall | /usr/bin/python3 -c \"
import json, sys
r = json.load(sys.stdin)
assert r['recall_at_k'] == 1.0 and r['queries'] == 3 and r['k'] == 10, r\""
fi

# Resume: 2 epochs, then --resume to 3, equals 3 epochs straight (one thread).
check "train 2 epochs" "$run" train "$tmp/c.toml" --set training.epochs=2 --set output.dir="$tmp/b"
check "resume to 3 epochs" "$run" train "$tmp/c.toml" --resume --set output.dir="$tmp/b"
check "export resumed" "$run" export "$tmp/c.toml" --set output.dir="$tmp/b" --output "$tmp/export-b"
check "resume reproduces the uninterrupted run exactly" cmp "$tmp/export/nodes.npy" "$tmp/export-b/nodes.npy"
check "resume reproduces relations exactly" cmp "$tmp/export/relations.npy" "$tmp/export-b/relations.npy"

# Three tiers: a device tier (in host memory: training.device = "cpu") as large as
# the host buffer trains exactly the two-tier model, moving each host state's
# partitions up and back; a smaller one trains, and resumes bit for bit.
check "train on three tiers (d = c)" "$run" train "$tmp/c.toml" --set storage.device_capacity=2 --set output.dir="$tmp/t3"
check "export three tiers" "$run" export "$tmp/c.toml" --set output.dir="$tmp/t3" --output "$tmp/export-t3"
check "three tiers with d = c give the two-tier model" cmp "$tmp/export/nodes.npy" "$tmp/export-t3/nodes.npy"
check "device tier metrics" /usr/bin/python3 -c "
import json
e = json.loads(open('$tmp/t3/metrics.jsonl').readline())
io, dev = e['io'], e['device_io']
assert dev['device'] == 'cpu' and dev['capacity'] == 2, dev
assert dev['states'] == io['states'] == 6, (io, dev)  # BETA p=4, c=2: 6 states, each one device state
assert dev['partitions_read'] == dev['partitions_written'] == 2 * 6, dev
assert dev['bytes_read'] == dev['bytes_written'] == 12 * 400 * 16 * 8 // 4, dev
"
cat > "$tmp/c3.toml" <<TOML
$(sed -e 's/^buffer_capacity = 2$/buffer_capacity = 3\ndevice_capacity = 2/' "$tmp/c.toml")
TOML
check "train on three tiers (d < c), 3 epochs" "$run" train "$tmp/c3.toml" --set output.dir="$tmp/t3a" --set evaluation.protocol=none
check "three tiers (d < c), 2 epochs" "$run" train "$tmp/c3.toml" --set output.dir="$tmp/t3b" --set training.epochs=2 --set evaluation.protocol=none
check "three tiers (d < c), resume to 3" "$run" train "$tmp/c3.toml" --set output.dir="$tmp/t3b" --resume --set evaluation.protocol=none
check "export both" bash -c "'$run' export '$tmp/c3.toml' --set output.dir='$tmp/t3a' --output '$tmp/e3a' && '$run' export '$tmp/c3.toml' --set output.dir='$tmp/t3b' --output '$tmp/e3b'"
check "three tiers resume bit for bit" cmp "$tmp/e3a/nodes.npy" "$tmp/e3b/nodes.npy"
check "three tiers (d < c) move more than the host buffer" /usr/bin/python3 -c "
import json
e = json.loads(open('$tmp/t3a/metrics.jsonl').readline())
assert e['device_io']['states'] > e['io']['states'] and e['device_io']['swaps'] > 0, e
"
check "plan --device predicts the device tier's traffic" /usr/bin/python3 -c "
import json, subprocess
e = json.loads(open('$tmp/t3a/metrics.jsonl').readline())
plan = json.loads(subprocess.run(['$run', 'plan', '--partitions', '4', '--buffer', '3', '--ordering', 'beta', '--device', '2',
                                  '--json'], check=True, capture_output=True, text=True).stdout)
assert plan['device']['states'] == e['device_io']['states'], (plan['device'], e['device_io'])
assert plan['device']['partitions_read'] == e['device_io']['partitions_read'] == e['device_io']['partitions_written'], (plan, e)
"
cp "$tmp/t3b/checkpoint.bin" "$tmp/t3b.ckpt"
expect "three tiers: ENOSPC ends the run with a clear error" 1 "No space left on device" -- "$run" train "$tmp/c3.toml" --resume --set training.epochs=5 --set output.dir="$tmp/t3b" --set storage.backend=fault --set storage.backend_options.enospc_after_bytes=30000
check "three tiers: the last checkpoint is unchanged" cmp "$tmp/t3b/checkpoint.bin" "$tmp/t3b.ckpt"
check "three tiers: training resumes after ENOSPC" "$run" train "$tmp/c3.toml" --resume --set training.epochs=4 --set output.dir="$tmp/t3b" --set evaluation.protocol=none
expect "device capacity 1" 1 "storage.device_capacity = 1" -- "$run" train "$tmp/c3.toml" --set storage.device_capacity=1
expect "a CUDA device in a CPU build" 1 "without CUDA" -- "$run" train "$tmp/c.toml" --set training.device=cuda

# The storage backend does not change the model.
for backend in mmap memory io_uring fault; do
  if [[ $backend == io_uring ]] && ! "$run" plugins check io_uring > /dev/null 2>&1; then
    echo "note: io_uring unavailable here, skipped"
    continue
  fi
  check "train with the $backend backend" "$run" train "$tmp/c.toml" --set storage.backend=$backend --set output.dir="$tmp/be-$backend" --set evaluation.protocol=none
  if [[ $backend != memory ]]; then  # memory files die with the process
    check "export with the $backend backend" "$run" export "$tmp/c.toml" --set storage.backend=$backend --set output.dir="$tmp/be-$backend" --output "$tmp/export-$backend"
    check "$backend gives the posix model" cmp "$tmp/export/nodes.npy" "$tmp/export-$backend/nodes.npy"
  fi
done
check "train with one file generation" "$run" train "$tmp/c.toml" --set storage.generations=1 --set output.dir="$tmp/g1" --set evaluation.protocol=none
check "export with one file generation" "$run" export "$tmp/c.toml" --set storage.generations=1 --set output.dir="$tmp/g1" --output "$tmp/export-g1"
check "one generation gives the same model" cmp "$tmp/export/nodes.npy" "$tmp/export-g1/nodes.npy"
check "one generation: one partition file" bash -c "[ -f '$tmp/g1/partitions/nodes.0.bin' ] && [ ! -f '$tmp/g1/partitions/nodes.1.bin' ]"
for ordering in hilbert sequential random; do
  check "train with the $ordering ordering" "$run" train "$tmp/c.toml" --set storage.ordering=$ordering --set output.dir="$tmp/o-$ordering" --set training.epochs=1 --set evaluation.protocol=none
done

# kill_mid_run OUT_DIR SECONDS COMMAND...: runs COMMAND in the background, waits
# for epoch 1's record in OUT_DIR/metrics.jsonl (30 s at most), SECONDS more,
# and kills it with SIGKILL.
kill_mid_run() {
  local out=$1 delay=$2
  shift 2
  "$@" > /dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 300); do grep -q '"epoch":1' "$out/metrics.jsonl" 2> /dev/null && break; sleep 0.1; done
  sleep "$delay"
  kill -9 $pid 2> /dev/null
  wait $pid 2> /dev/null
}

# SIGKILL during a write-back (slow writes: 300 ms each; 1.1 s in: inside epoch 2's write-backs), then --resume.
kill_mid_run "$tmp/k" 1.1 "$run" train "$tmp/c.toml" --set training.epochs=50 --set output.dir="$tmp/k" \
  --set evaluation.protocol=none --set storage.backend=fault --set storage.backend_options.write_delay_ms=300
# The kill came after the last checkpoint and after write-backs into the working file began.
check "SIGKILL came mid-epoch, after write-backs began" bash -c "[ -n \"\$(find '$tmp/k/partitions' -name 'nodes.*.bin' -newer '$tmp/k/checkpoint.bin')\" ] && ! grep -q '\"epoch\":50' '$tmp/k/metrics.jsonl'"
check "after SIGKILL the checkpoint's partitions pass their checksums" "$run" eval "$tmp/c.toml" --set output.dir="$tmp/k" --set evaluation.protocol=sampled
check "training resumes after SIGKILL" "$run" train "$tmp/c.toml" --resume --set output.dir="$tmp/k" --set training.epochs=4 --set evaluation.protocol=none
printf '\377' | dd of="$tmp/k/partitions/nodes.0.bin" bs=1 seek=100 conv=notrunc 2> /dev/null
printf '\377' | dd of="$tmp/k/partitions/nodes.1.bin" bs=1 seek=100 conv=notrunc 2> /dev/null
expect "a corrupted partition file is refused" 1 "fails its checksum" -- "$run" eval "$tmp/c.toml" --set output.dir="$tmp/k"

# ENOSPC and failed writes: a clear error, and the last checkpoint intact.
check "train 1 epoch" "$run" train "$tmp/c.toml" --set training.epochs=1 --set output.dir="$tmp/f" --set evaluation.protocol=none
cp "$tmp/f/checkpoint.bin" "$tmp/f.ckpt"
# 400 nodes x 16 x 8 bytes = 51200 bytes of partitions per epoch: fail inside epoch 2.
expect "ENOSPC ends the run with a clear error" 1 "No space left on device" -- "$run" train "$tmp/c.toml" --resume --set training.epochs=3 --set output.dir="$tmp/f" --set storage.backend=fault --set storage.backend_options.enospc_after_bytes=30000
check "the last checkpoint is unchanged" cmp "$tmp/f/checkpoint.bin" "$tmp/f.ckpt"
check "and loads, its partitions intact" "$run" eval "$tmp/c.toml" --set output.dir="$tmp/f"
expect "a failed write ends the run with a clear error" 1 "injected write failure" -- "$run" train "$tmp/c.toml" --resume --set training.epochs=3 --set output.dir="$tmp/f" --set storage.backend=fault --set storage.backend_options.fail_write_after_bytes=10000
check "training resumes after the faults" "$run" train "$tmp/c.toml" --resume --set training.epochs=2 --set output.dir="$tmp/f" --set evaluation.protocol=none

# GNN link prediction out of core (a GraphSAGE encoder, COMET): resume reproduces
# the uninterrupted run bit for bit, and SIGKILL mid-epoch leaves a checkpoint and
# an encoder file of the same epoch that load and resume.
gnn=(--set model.encoder=graphsage --set model.fanouts=5 --set storage.ordering=comet --set evaluation.protocol=none)
check "GNN out of core: 3 epochs" "$run" train "$tmp/c.toml" "${gnn[@]}" --set output.dir="$tmp/n3"
check "GNN out of core: 2 epochs" "$run" train "$tmp/c.toml" "${gnn[@]}" --set output.dir="$tmp/n2" --set training.epochs=2
check "GNN out of core: resume to 3" "$run" train "$tmp/c.toml" "${gnn[@]}" --set output.dir="$tmp/n2" --resume
check "GNN out of core: export" "$run" export "$tmp/c.toml" "${gnn[@]}" --set output.dir="$tmp/n3" --output "$tmp/en3"
check "GNN out of core: export the resumed run" "$run" export "$tmp/c.toml" "${gnn[@]}" --set output.dir="$tmp/n2" --output "$tmp/en2"
check "GNN out of core: resume reproduces the run exactly" cmp "$tmp/en3/representations.npy" "$tmp/en2/representations.npy"
check "GNN out of core: one encoder file, of the checkpoint's epoch" bash -c "[ \"\$(ls '$tmp/n2' | grep -c '^encoder-')\" = 1 ] && [ -f '$tmp/n2/encoder-3.bin' ]"
kill_mid_run "$tmp/nk" 1.1 "$run" train "$tmp/c.toml" "${gnn[@]}" --set training.epochs=50 --set output.dir="$tmp/nk" \
  --set storage.backend=fault --set storage.backend_options.write_delay_ms=300
check "GNN out of core: SIGKILL came mid-run" bash -c "! grep -q '\"epoch\":50' '$tmp/nk/metrics.jsonl'"
check "GNN out of core: after SIGKILL the checkpoint and its encoder load" "$run" eval "$tmp/c.toml" "${gnn[@]}" --set output.dir="$tmp/nk" --set evaluation.protocol=sampled
check "GNN out of core: training resumes after SIGKILL" "$run" train "$tmp/c.toml" "${gnn[@]}" --resume --set output.dir="$tmp/nk" --set training.epochs=4

# Node classification with the features paged (4 partitions, 2 in memory): resume
# reproduces the uninterrupted run bit for bit, and after SIGKILL mid-run the
# checkpoint loads and training resumes.
check "NC: generate a partitioned dataset" "$run" generate --kind sbm --nodes 3000 --edges 20000 --classes 3 \
  --features 16 --split 0.2,0.1,0.1 --partitions 4 --output "$tmp/nc-data"
cat > "$tmp/nc.toml" <<TOML
[dataset]
path = "$tmp/nc-data"
[model]
task = "node_classification"
encoder = "graphsage"
layers = 2
hidden_dim = 16
fanouts = "10"
direction = "both"
[training]
epochs = 3
batch_size = 100
threads = 1
[pipeline]
mode = "sync"
[evaluation]
every_epoch = false
[storage]
partitions = 4
buffer_capacity = 2
[output]
dir = "$tmp/nc"
TOML
check "NC out of core: 3 epochs" "$run" train "$tmp/nc.toml" --set output.dir="$tmp/nc3"
check "NC out of core: the epoch record has the feature IO" grep -q '"feature_io":{"swaps"' "$tmp/nc3/metrics.jsonl"
check "NC out of core: 2 epochs" "$run" train "$tmp/nc.toml" --set output.dir="$tmp/nc2" --set training.epochs=2
check "NC out of core: resume to 3" "$run" train "$tmp/nc.toml" --set output.dir="$tmp/nc2" --resume
check "NC out of core: export" "$run" export "$tmp/nc.toml" --set output.dir="$tmp/nc3" --output "$tmp/ncx3"
check "NC out of core: export the resumed run" "$run" export "$tmp/nc.toml" --set output.dir="$tmp/nc2" --output "$tmp/ncx2"
check "NC out of core: resume reproduces the run exactly" cmp "$tmp/ncx3/representations.npy" "$tmp/ncx2/representations.npy"
check "NC out of core: no scratch files are left" bash -c "[ -z \"\$(find '$tmp/nc3' '$tmp/nc2' -name 'inference.*')\" ]"
kill_mid_run "$tmp/nck" 0.5 "$run" train "$tmp/nc.toml" --set training.epochs=1000 --set output.dir="$tmp/nck" \
  --set output.checkpoint_every_epoch=true
check "NC out of core: SIGKILL came mid-run" bash -c "! grep -q '\"summary\"' '$tmp/nck/metrics.jsonl'"
check "NC out of core: after SIGKILL the checkpoint loads" "$run" eval "$tmp/nc.toml" --set output.dir="$tmp/nck"
done_epochs=$(grep -c '"epoch"' "$tmp/nck/metrics.jsonl")
check "NC out of core: training resumes after SIGKILL" "$run" train "$tmp/nc.toml" --resume --set output.dir="$tmp/nck" \
  --set training.epochs=$((done_epochs + 2))
expect "NC out of core: learned embeddings are refused" 1 "pages node features only" -- "$run" train "$tmp/nc.toml" \
  --set output.dir="$tmp/ncb" --set model.node_input=both

# Configuration errors name the key.
expect "a dataset with other partitions" 1 "storage.partitions = 8, but the dataset" -- "$run" train "$tmp/c.toml" --set storage.partitions=8
expect "capacity 1" 1 "storage.buffer_capacity = 1" -- "$run" train "$tmp/c.toml" --set storage.buffer_capacity=1
expect "resume across modes" 1 "trained out of core" -- "$run" eval "$tmp/c.toml" --set storage.buffer_capacity=0

finish out_of_core_cli
