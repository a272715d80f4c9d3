#!/usr/bin/env bash
# marius-run launch and dist-check over 127.0.0.1 (docs/distributed.md): N local
# workers join and all-reduce; a worker killed with SIGKILL makes the other stop
# with a clear error within the timeout; commands that do not run distributed
# refuse to run as one of several workers.
run=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/shell_test_lib.sh"

if ! "$run" launch -n 2 -- dist-check --sizes 4096 --iterations 2 > "$tmp/check.log" 2>&1 &&
   grep -q "built without torch c10d/Gloo" "$tmp/check.log"; then
  echo "dist_cli: SKIP: this marius was built without c10d/Gloo"
  expect "built without c10d says so" 1 "built without torch c10d/Gloo" -- \
    "$run" launch -n 2 -- dist-check --sizes 4096 --iterations 2
  finish dist_cli
  exit $?
fi

expect "two workers all-reduce" 0 '"world_size":2' -- "$run" launch -n 2 -- dist-check --sizes 4096,65536 --iterations 2
expect "output is prefixed by rank" 0 "[rank 1] " -- "$run" launch -n 2 -- dist-check --sizes 4096 --iterations 1
expect "launch needs a command" 106 "command is required" -- "$run" launch -n 2
expect "train refuses to run as one of several" 1 "train (link prediction): this worker is rank 0 of 2 (torchrun)" -- \
  env WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 "$run" train "$here/../examples/generated.toml"
expect "a worker without MASTER_ADDR" 1 "MASTER_ADDR is not set" -- env WORLD_SIZE=2 RANK=1 "$run" dist-check
expect "a failing worker stops the launch with its exit code" 104 "marius-run launch: rank" -- \
  "$run" launch -n 2 -- dist-check --sizes not-a-number

# Data-parallel node classification: two workers train, then resume, a third epoch.
"$run" generate --kind sbm --nodes 400 --edges 3000 --classes 3 --features 8 --output "$tmp/sbm" > /dev/null 2>&1
"$run" preprocess --train "$tmp/sbm/edges.tsv" --features "$tmp/sbm/features.npy" --labels "$tmp/sbm/labels.tsv" \
  --train-nodes "$tmp/sbm/train_nodes.txt" --valid-nodes "$tmp/sbm/valid_nodes.txt" \
  --test-nodes "$tmp/sbm/test_nodes.txt" --output "$tmp/nc" > /dev/null 2>&1
cat > "$tmp/nc.toml" <<TOML
[dataset]
path = "$tmp/nc"
[model]
task = "node_classification"
encoder = "graphsage"
layers = 2
hidden_dim = 16
fanouts = "5"
[training]
epochs = 2
batch_size = 20
threads = 1
[pipeline]
mode = "sync"
[distributed]
staleness = 1
[output]
dir = "$tmp/nc-out"
TOML
expect "two workers train node classification" 0 "[rank 1] test accuracy" -- "$run" launch -n 2 -- train "$tmp/nc.toml"
check "rank 1 writes its own checkpoint and metrics" test -f "$tmp/nc-out/rank-1/gnn_checkpoint.bin" -a -f "$tmp/nc-out/rank-1/metrics.jsonl"
check "the epoch record has the traffic" grep -q '"distributed":{"world_size":2,"rank":0,"staleness":1' "$tmp/nc-out/metrics.jsonl"
expect "two workers resume" 0 "[rank 0] test accuracy" -- \
  "$run" launch -n 2 -- train "$tmp/nc.toml" --resume --set training.epochs=3
expect "workers with different configurations" 1 "the configuration differs from rank" -- \
  bash -c "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$(( 20000 + RANDOM % 20000 )) eval '
    RANK=1 \"$run\" train \"$tmp/nc.toml\" --set training.epochs=5 --set distributed.timeout=20 &
    RANK=0 \"$run\" train \"$tmp/nc.toml\" --set training.epochs=4 --set distributed.timeout=20; rc=\$?; wait; exit \$rc'"
"$run" preprocess --train "$tmp/sbm/edges.tsv" --features "$tmp/sbm/features.npy" --labels "$tmp/sbm/labels.tsv" \
  --train-nodes "$tmp/sbm/train_nodes.txt" --partitions 4 --output "$tmp/nc4" > /dev/null 2>&1
expect "features out of core do not run distributed yet" 1 "storage.buffer_capacity = 2) does not run distributed yet" -- \
  "$run" launch -n 2 -- train "$tmp/nc.toml" --set dataset.path="$tmp/nc4" --set output.dir="$tmp/nc-ooc" \
  --set storage.buffer_capacity=2

# SIGKILL one of two workers (started as torchrun would) while they all-reduce:
# the other stops with an error naming the failure within its timeout.
port=$(( 20000 + RANDOM % 20000 ))
export MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=2
RANK=0 "$run" dist-check --sizes 4096 --iterations 1000000 --timeout 15 > "$tmp/rank0.log" 2>&1 &
pid0=$!
RANK=1 "$run" dist-check --sizes 4096 --iterations 1000000 --timeout 15 > "$tmp/rank1.log" 2>&1 &
pid1=$!
for _ in $(seq 100); do grep -q "joined as rank 1" "$tmp/rank1.log" && break; sleep 0.1; done
sleep 0.5
kill -9 "$pid1"
wait "$pid1" 2>/dev/null
start=$SECONDS
wait "$pid0"
rc=$?
elapsed=$((SECONDS - start))
unset MASTER_ADDR MASTER_PORT WORLD_SIZE
if [[ $rc -eq 1 && $elapsed -le 20 ]] && grep -q "marius-run: error: distributed (rank 0 of 2" "$tmp/rank0.log"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL: the survivor of a SIGKILL (exit $rc after $elapsed s):"
  sed 's/^/    /' "$tmp/rank0.log" | tail -5
fi
finish dist_cli
