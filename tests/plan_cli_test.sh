#!/usr/bin/env bash
# Checks `marius-run plan`: text and --json output, BETA's swap counts against the
# closed form and the lower bound, bytes moved, options, and argument errors.
# Usage: plan_cli_test.sh MARIUS_RUN
run=$1
source "$(dirname "$0")/shell_test_lib.sh"
python=/usr/bin/python3

# Text: p=5, c=3 under BETA is 5 states and 4 swaps, which meets the lower bound
# ceil((10 - 3) / 2) = 4; reads (3 + 4) partitions and writes back 4 + 3.
expect "text names the policy and shape" 0 "plan of 'beta'" -- "$run" plan --partitions 5 --buffer 3 --ordering beta
expect "text lists the first state" 0 "state 0: resident [0 1 2]  admitted [0 1 2]  evicted []  9 buckets:" -- \
  "$run" plan --partitions 5 --buffer 3 --ordering beta
expect "text lists a swap" 0 "state 1: resident [0 1 3]  admitted [3]  evicted [2]  5 buckets:" -- \
  "$run" plan --partitions 5 --buffer 3 --ordering beta
expect "text swaps" 0 "swaps: 4" -- "$run" plan --partitions 5 --buffer 3 --ordering beta
expect "text lower bound" 0 "lower bound: 4" -- "$run" plan --partitions 5 --buffer 3 --ordering beta
expect "text bytes read" 0 "bytes read: 7168 (7 partitions of 1024 bytes)" -- \
  "$run" plan --partitions 5 --buffer 3 --ordering beta --partition-bytes 1024
expect "text bytes written" 0 "bytes written: 7168 (7 partitions of 1024 bytes)" -- \
  "$run" plan --partitions 5 --buffer 3 --ordering beta --partition-bytes 1024

# A device tier of d = 2 within BETA's p = 8, c = 4 states: 28 sub-states moving 38
# partitions up and back (the figures training measures on FB15k-237); with d = c
# each host state is one sub-state moving its c partitions.
expect "text device tier" 0 "device tier of 2: 28 states, 38 partitions read and as many written back (38000 bytes each way)" -- \
  "$run" plan --partitions 8 --buffer 4 --ordering beta --device 2 --partition-bytes 1000
expect "text device per state" 0 "  device: 1 states, 3 partitions moved up and back" -- \
  "$run" plan --partitions 5 --buffer 3 --ordering beta --device 3
"$run" plan --partitions 5 --buffer 3 --ordering beta --device 3 --json --partition-bytes 10 > "$tmp/device.json" 2>&1
check "json device tier with d = c" "$python" - "$tmp/device.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
dev = d["device"]
assert dev == {"capacity": 3, "states": 5, "partitions_read": 15, "partitions_written": 15,
               "bytes_read": 150, "bytes_written": 150}, dev
assert all(s["device_states"] == 1 and s["device_partitions"] == 3 for s in d["states"]), d["states"]
EOF
expect "device 1" 1 "--device must be >= 2" -- "$run" plan --partitions 5 --buffer 3 --ordering beta --device 1

# JSON: one object; the states account for every bucket once, and the counts agree.
"$run" plan --partitions 16 --buffer 4 --ordering beta --json --partition-bytes 100 > "$tmp/beta.json" 2>&1
check "json is one valid object with the counts" "$python" - "$tmp/beta.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ordering"] == "beta" and d["num_partitions"] == 16 and d["buffer_capacity"] == 4, d
# BETA: n + (x+1)n - (x+1)x(c-1)/2 with n = p-c = 12, x = 4: 12 + 60 - 30 = 42; bound ceil((120-6)/3) = 38.
assert d["swaps"] == 42, d["swaps"]
assert d["lower_bound"] == 38, d["lower_bound"]
assert d["num_states"] == len(d["states"]) == 43
assert d["bytes_read"] == (4 + 42) * 100 and d["bytes_written"] == (42 + 4) * 100, d
seen = [b for s in d["states"] for b in s["buckets"]]
assert sorted(map(tuple, seen)) == [(i, j) for i in range(16) for j in range(16)]
swaps = 0
for before, now in zip(d["states"], d["states"][1:]):
    assert now["admitted"] == [q for q in now["partitions"] if q not in before["partitions"]]
    assert now["evicted"] == [q for q in before["partitions"] if q not in now["partitions"]]
    swaps += len(now["admitted"])
assert swaps == d["swaps"]
EOF
"$run" plan --partitions 8 --buffer 4 --ordering hilbert --json > "$tmp/hilbert.json" 2>&1
check "json without --partition-bytes has no bytes" "$python" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert "bytes_read" not in d and "bytes_written" not in d, d
assert d["ordering"] == "hilbert" and d["swaps"] >= d["lower_bound"] == 8, d
' "$tmp/hilbert.json"

# A manifest path works like a name; --set reaches the plugin; --seed changes random plans.
manifest=$("$run" plan --partitions 2 --buffer 2 --ordering beta --json |
  "$python" -c 'import json, sys; print(json.load(sys.stdin)["manifest"])')
expect "a manifest path names the policy" 0 "swaps: 9" -- "$run" plan --partitions 8 --buffer 4 --ordering "$manifest"
"$run" plan --partitions 12 --buffer 3 --ordering beta --set shuffle=true --seed 1 --json > "$tmp/s1.json"
"$run" plan --partitions 12 --buffer 3 --ordering beta --set shuffle=true --seed 1 --json > "$tmp/s1b.json"
"$run" plan --partitions 12 --buffer 3 --ordering beta --set shuffle=true --seed 2 --json > "$tmp/s2.json"
check "shuffle repeats for a seed" cmp "$tmp/s1.json" "$tmp/s1b.json"
check "shuffle differs across seeds" "$python" -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["states"] != b["states"] and a["swaps"] == b["swaps"], (a["swaps"], b["swaps"])
' "$tmp/s1.json" "$tmp/s2.json"

# Errors.
expect "buffer above partitions" 1 "--buffer 5 exceeds --partitions 4" -- \
  "$run" plan --partitions 4 --buffer 5 --ordering beta
expect "buffer of one" 1 "--buffer must be >= 2 when --partitions >= 2" -- \
  "$run" plan --partitions 4 --buffer 1 --ordering beta
expect "no partitions" 1 "--partitions must be >= 1, got 0" -- "$run" plan --partitions 0 --buffer 1 --ordering beta
expect "unknown ordering lists the known ones" 1 "no ordering_policy named 'nope' (known: beta, comet, hilbert, random, sequential" -- \
  "$run" plan --partitions 4 --buffer 2 --ordering nope
expect "a plugin of another kind" 1 "is a score_function, not a ordering_policy" -- \
  "$run" plan --partitions 4 --buffer 2 --ordering distmult
expect "zero partition bytes" 1 "--partition-bytes must be >= 1" -- \
  "$run" plan --partitions 4 --buffer 2 --ordering beta --partition-bytes 0
expect "bytes overflow" 1 "overflows 64 bits" -- \
  "$run" plan --partitions 4 --buffer 2 --ordering beta --partition-bytes 18446744073709551615
expect "bad option value" 1 "option 'shuffle' expects bool" -- \
  "$run" plan --partitions 4 --buffer 2 --ordering beta --set shuffle=3
expect "missing --ordering" 2 "--ordering is required" -- "$run" plan --partitions 4 --buffer 2

finish plan_cli
