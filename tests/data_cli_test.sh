#!/usr/bin/env bash
# Checks `marius-run generate` and `marius-run preprocess` end to end.
# Usage: data_cli_test.sh MARIUS_RUN
run=$1
source "$(dirname "$0")/shell_test_lib.sh"


expect "generate" 0 "train.tsv  3200 edges" -- "$run" generate --output "$tmp/gen" --nodes 500 --edges 4000 --seed 3
expect "preprocess generated files" 0 "train      3200 edges" -- \
  "$run" preprocess --train "$tmp/gen/train.tsv" --valid "$tmp/gen/valid.tsv" --test "$tmp/gen/test.tsv" \
  --output "$tmp/ds"
expect "summary names the id width" 0 "ids        32-bit" -- \
  "$run" preprocess --train "$tmp/gen/train.tsv" --output "$tmp/ds"
[[ -f "$tmp/ds/header.bin" && -f "$tmp/ds/train.edges" ]] || { echo "FAIL: dataset files missing"; failed=$((failed + 1)); }

printf 'src,dst\n1,2\n2,3\n3,1\n4,1\n' > "$tmp/plain.csv"
expect "random split of a CSV plain graph" 0 "relations  1 (a plain graph)" -- \
  "$run" preprocess --input "$tmp/plain.csv" --split 0.5,0.25,0.25 --delimiter comma --header --ids integer \
  --output "$tmp/plain"
expect "malformed line names file:line" 1 "marius-run: error: $tmp/bad.tsv:2: expected 3 columns (hrt) separated by tab, found 2: \"c\\td\"" -- \
  bash -c "printf 'a\tr\tb\nc\td\n' > '$tmp/bad.tsv'; '$run' preprocess --train '$tmp/bad.tsv' --output '$tmp/bad'"
[[ ! -e "$tmp/bad" ]] || { echo "FAIL: a failed preprocess left $tmp/bad"; failed=$((failed + 1)); }
expect "control character in an id names file:line and the byte" 1 \
  "marius-run: error: $tmp/nul.tsv:2: tail \"a\\x00b\" (column 3) contains control character 0x00" -- \
  bash -c "printf 'a\tr\tb\nc\tr\ta\\000b\n' > '$tmp/nul.tsv'; '$run' preprocess --train '$tmp/nul.tsv' --output '$tmp/nul'"
[[ ! -e "$tmp/nul" ]] || { echo "FAIL: a refused preprocess left $tmp/nul"; failed=$((failed + 1)); }
if ls "$tmp" | grep -q 'tmp-'; then echo "FAIL: a temporary directory was left behind"; failed=$((failed + 1)); fi
expect "unknown delimiter" 1 "--delimiter \"pipe\": expected tab, comma, space, auto or a single character" -- \
  "$run" preprocess --train "$tmp/plain.csv" --delimiter pipe --output "$tmp/x"
expect "missing output" 1 "--output: required" -- "$run" preprocess --train "$tmp/plain.csv"
expect "missing input" 1 "$tmp/none.tsv: no such file" -- "$run" preprocess --train "$tmp/none.tsv" --output "$tmp/x"
expect "refuses to replace other directories" 1 "exists and is not a marius dataset" -- \
  "$run" preprocess --train "$tmp/gen/train.tsv" --output "$tmp/gen"
printf 'checkpoint' > "$tmp/ds/checkpoint.bin"
expect "refuses a dataset directory holding other files" 1 \
  "$tmp/ds: exists and is not a marius dataset (it holds \"checkpoint.bin\", which is not a dataset file)" -- \
  "$run" preprocess --train "$tmp/gen/train.tsv" --output "$tmp/ds"
[[ $(cat "$tmp/ds/checkpoint.bin") == checkpoint && -f "$tmp/ds/header.bin" ]] ||
  { echo "FAIL: a refused preprocess changed $tmp/ds"; failed=$((failed + 1)); }
rm "$tmp/ds/checkpoint.bin"
expect "re-preprocess over its own output" 0 "train      3200 edges" -- \
  "$run" preprocess --train "$tmp/gen/train.tsv" --output "$tmp/ds"
expect "partitioned preprocess" 0 "partitions 3 (9 buckets)" -- \
  "$run" preprocess --train "$tmp/gen/train.tsv" --partitions 3 --seed 5 --output "$tmp/parts"
[[ -f "$tmp/parts/train.buckets" ]] || { echo "FAIL: train.buckets missing"; failed=$((failed + 1)); }
expect "METIS partitions" 0 "partitions 3 (9 buckets), metis: " -- \
  "$run" preprocess --train "$tmp/gen/train.tsv" --partitions 3 --partitioner metis --output "$tmp/metis"
expect "unknown partitioner" 1 "--partitioner \"louvain\": expected random or metis" -- \
  "$run" preprocess --train "$tmp/gen/train.tsv" --partitions 3 --partitioner louvain --output "$tmp/x"
expect "zero partitions" 1 "--partitions 0: expected a value in [1, 1024]" -- \
  "$run" preprocess --train "$tmp/gen/train.tsv" --partitions 0 --output "$tmp/x"
expect "more partitions than nodes" 1 "--partitions 5: more partitions than the 4 nodes" -- \
  "$run" preprocess --input "$tmp/plain.csv" --split 0.5,0.25,0.25 --delimiter comma --header --partitions 5 \
  --output "$tmp/x"
expect "generate powerlaw" 0 "partitions 4 (16 buckets)" -- \
  "$run" generate --kind powerlaw --nodes 1000 --edges 20000 --partitions 4 --output "$tmp/pl"
[[ -f "$tmp/pl/header.bin" && -f "$tmp/pl/train.buckets" ]] || { echo "FAIL: powerlaw dataset files missing"; failed=$((failed + 1)); }
expect "powerlaw rejects --clusters" 1 "--clusters: only with --kind planted" -- \
  "$run" generate --kind powerlaw --clusters 3 --output "$tmp/x"
expect "planted rejects --partitions" 1 "--partitions: only with --kind powerlaw" -- \
  "$run" generate --partitions 3 --output "$tmp/x"
expect "unknown kind" 1 "--kind \"zipf\": expected planted, powerlaw or sbm" -- "$run" generate --kind zipf --output "$tmp/x"
expect "too many generated edges" 1 "--edges 100000: too many" -- \
  "$run" generate --output "$tmp/g2" --nodes 50 --edges 100000
expect "sbm writes a node classification graph" 0 "300 in 3 classes, 4 features" -- \
  "$run" generate --kind sbm --nodes 300 --edges 2000 --classes 3 --features 4 --output "$tmp/sbm"
expect "sbm with --partitions writes a dataset" 0 "partitions 2; features.bin" -- \
  "$run" generate --kind sbm --nodes 300 --edges 2000 --classes 3 --features 4 --partitions 2 --output "$tmp/sbm2"
expect "the sbm dataset trains" 0 "test accuracy" -- "$run" train --set dataset.path="$tmp/sbm2" \
  --set output.dir="$tmp/sbm2-out" --set model.task=node_classification --set model.encoder=graphsage \
  --set training.epochs=1 --set storage.buffer_capacity=0
expect "planted rejects --partitions" 1 "--partitions: only with --kind powerlaw or sbm" -- \
  "$run" generate --partitions 2 --output "$tmp/planted2"
expect "--features-dtype needs --partitions" 1 "--features-dtype: only with --partitions" -- \
  "$run" generate --kind sbm --features-dtype float16 --output "$tmp/sbm3"
expect "a bad --split" 1 "--split \"0.5,0.5\": expected three fractions" -- \
  "$run" generate --kind sbm --split 0.5,0.5 --output "$tmp/sbm4"
expect "preprocess reads the sbm graph's node data" 0 "nodes      300" -- \
  "$run" preprocess --train "$tmp/sbm/edges.tsv" --features "$tmp/sbm/features.npy" --labels "$tmp/sbm/labels.tsv" \
  --train-nodes "$tmp/sbm/train_nodes.txt" --test-nodes "$tmp/sbm/test_nodes.txt" --output "$tmp/sbm-data"
printf '0\t1 2\n' > "$tmp/short-features.tsv"
expect "a feature file missing nodes names the first" 1 "have no feature row, the first is" -- \
  "$run" preprocess --train "$tmp/sbm/edges.tsv" --features "$tmp/short-features.tsv" --output "$tmp/sbm-bad"

finish data_cli
