#!/usr/bin/env bash
# marius-run launch and dist-check over 127.0.0.1 (docs/distributed.md): N local
# workers join and all-reduce; a worker killed with SIGKILL makes the other stop
# with a clear error within the timeout; node classification and link
# prediction train with two workers and resume (link prediction also after a
# SIGKILL); what does not run distributed refuses to.
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

# survives_sigkill WHAT READY LIMIT CMD...: starts rank 0 and rank 1 of CMD as
# torchrun would, waits until the shell condition READY holds, SIGKILLs rank 1
# and checks that rank 0 stops within LIMIT seconds, exit status 1, with a
# distributed error.
survives_sigkill() {
  local what=$1 ready=$2 limit=$3
  shift 3
  export MASTER_ADDR=127.0.0.1 MASTER_PORT=$(( 20000 + RANDOM % 20000 )) WORLD_SIZE=2
  RANK=0 "$@" > "$tmp/rank0.log" 2>&1 &
  local pid0=$!
  RANK=1 "$@" > "$tmp/rank1.log" 2>&1 &
  local pid1=$!
  for _ in $(seq 300); do eval "$ready" && break; sleep 0.1; done
  kill -9 "$pid1"
  wait "$pid1" 2>/dev/null
  local start=$SECONDS
  wait "$pid0"
  local rc=$? elapsed=$((SECONDS - start))
  unset MASTER_ADDR MASTER_PORT WORLD_SIZE
  if [[ $rc -eq 1 && $elapsed -le $limit ]] && grep -q "marius-run: error: .*distributed (rank 0 of 2" "$tmp/rank0.log"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $what (exit $rc after $elapsed s):"
    sed 's/^/    /' "$tmp/rank0.log" | tail -5
  fi
}

expect "two workers all-reduce" 0 '"world_size":2' -- "$run" launch -n 2 -- dist-check --sizes 4096,65536 --iterations 2
expect "output is prefixed by rank" 0 "[rank 1] " -- "$run" launch -n 2 -- dist-check --sizes 4096 --iterations 1
expect "launch needs a command" 2 "command is required" -- "$run" launch -n 2
expect "a worker without MASTER_ADDR" 1 "MASTER_ADDR is not set" -- env WORLD_SIZE=2 RANK=1 "$run" dist-check
expect "a failing worker stops the launch with its exit code (2: usage)" 2 "marius-run launch: rank" -- \
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

# Distributed link prediction over shared partition files: two workers, p = 4.
"$run" generate --nodes 2000 --edges 60000 --relations 4 --output "$tmp/kg" > /dev/null 2>&1
"$run" preprocess --train "$tmp/kg/train.tsv" --valid "$tmp/kg/valid.tsv" --test "$tmp/kg/test.tsv" --partitions 4 \
  --output "$tmp/kg4" > /dev/null 2>&1
cat > "$tmp/lp.toml" <<TOML
[dataset]
path = "$tmp/kg4"
[model]
dim = 16
[negatives]
chunks = 2
per_chunk = 50
[training]
epochs = 2
batch_size = 500
threads = 1
[storage]
buffer_capacity = 2
[evaluation]
protocol = "sampled"
[distributed]
timeout = 10
[output]
dir = "$tmp/lp-out"
TOML
expect "two workers train link prediction" 0 "[rank 0] test MRR" -- "$run" launch -n 2 -- train "$tmp/lp.toml"
check "rank 0 writes the checkpoint, rank 1 only its metrics" \
  test -f "$tmp/lp-out/checkpoint.bin" -a -f "$tmp/lp-out/rank-1/metrics.jsonl" -a ! -f "$tmp/lp-out/rank-1/checkpoint.bin"
check "the epoch record has the buckets and the traffic" \
  grep -q '"distributed":{"world_size":2,"rank":1,"buckets":' "$tmp/lp-out/rank-1/metrics.jsonl"
expect "link prediction in memory does not run distributed" 1 "link prediction trains out of core" -- \
  "$run" launch -n 2 -- train "$tmp/lp.toml" --set storage.buffer_capacity=0 --set output.dir="$tmp/lp-mem"

# SIGKILL one of two link-prediction workers after an epoch: the other stops
# with an error within distributed.timeout, and both resume from rank 0's
# checkpoint and finish.
survives_sigkill "the link-prediction survivor of a SIGKILL" \
  '[[ $(cat "$tmp/lp-kill/rank-1/metrics.jsonl" 2>/dev/null | wc -l) -ge 2 ]]' 15 \
  "$run" train "$tmp/lp.toml" --set training.epochs=1000 --set output.dir="$tmp/lp-kill"
done_epochs=$(wc -l < "$tmp/lp-kill/metrics.jsonl")
expect "both workers resume after the SIGKILL" 0 "[rank 0] test MRR" -- \
  "$run" launch -n 2 -- train "$tmp/lp.toml" --resume --set output.dir="$tmp/lp-kill" \
  --set training.epochs=$((done_epochs + 2))

# SIGKILL one of two workers (started as torchrun would) while they all-reduce:
# the other stops with an error naming the failure within its timeout.
survives_sigkill "the survivor of a SIGKILL" 'grep -q "joined as rank 1" "$tmp/rank1.log" && sleep 0.5' 20 \
  "$run" dist-check --sizes 4096 --iterations 1000000 --timeout 15
finish dist_cli
