#!/usr/bin/env bash
# The README's first command: install, build, and run the main job. Until
# training lands (issue #3) the main job lists the plugins and runs the
# conformance suite on every one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/bin/marius-run plugins list
./build/bin/marius-run --plugin build/examples/c-plugin plugins check --all
