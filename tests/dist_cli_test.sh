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
expect "train refuses to run as one of several" 1 "train: this worker is rank 0 of 2 (torchrun)" -- \
  env WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 "$run" train "$here/../examples/generated.toml"
expect "a worker without MASTER_ADDR" 1 "MASTER_ADDR is not set" -- env WORLD_SIZE=2 RANK=1 "$run" dist-check
expect "a failing worker stops the launch with its exit code" 104 "marius-run launch: rank" -- \
  "$run" launch -n 2 -- dist-check --sizes not-a-number

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
