#!/usr/bin/env bash
# The README's first command: install, build, and run the main job on the
# built-in default dataset: generate a synthetic multi-relational graph with
# planted structure, preprocess it, train DistMult (evaluating after each epoch),
# export the embeddings and predict links. Outputs land in ./output/generated.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
run=./build/bin/marius-run
$run generate --output output/generated/raw --nodes 2000 --relations 10 --edges 40000 --seed 1
$run preprocess --train output/generated/raw/train.tsv --valid output/generated/raw/valid.tsv \
  --test output/generated/raw/test.tsv --output output/generated/data
$run train examples/generated.toml --overwrite   # a re-run replaces the previous run's model
$run export examples/generated.toml
$run predict examples/generated.toml --head n0 --relation r0 -k 5
