#!/usr/bin/env bash
# Checks marius-run's command-line behaviour. Usage: cli_test.sh MARIUS_RUN C_PLUGIN_MANIFEST
run=$1
c_plugin=$2
source "$(dirname "$0")/shell_test_lib.sh"

expect "version names the ABI" 0 "plugin ABI 1.2" -- "$run" --version
expect "list shows built-ins" 0 "distmult" -- "$run" plugins list
expect "list shows --plugin" 0 "c_dot" -- "$run" --plugin "$c_plugin" plugins list
expect "inspect shows options" 0 "degree_fraction (float in [0, 1]) default 0" -- "$run" plugins inspect uniform
expect "check passes on a built-in" 0 "1 plugins checked, 0 failed" -- "$run" plugins check distmult
# --all checks every built-in manifest plus c_dot; io_uring fails where the machine refuses it
# (a seccomp filter blocking io_uring_setup, as in some containers).
builtins=$(find "$(dirname "$run")/../lib/marius/plugins" -maxdepth 1 -name '*.toml' | wc -l)
refused=0
if "$run" plugins check io_uring 2>&1 | grep -q "io_uring is unavailable"; then refused=1; fi
expect "check --all with the C plugin" $refused "$((builtins + 1)) plugins checked, $refused failed" -- \
  "$run" --plugin "$c_plugin" plugins check --all
expect "check with --set option" 0 "0 failed" -- "$run" --set degree_fraction=0.5 plugins check uniform
expect "--set after the subcommand" 0 "0 failed" -- "$run" plugins check transe --set norm=1
expect "bad --set value is named" 1 "option 'degree_fraction': 3 is above the maximum 1" -- \
  "$run" --set degree_fraction=3 plugins check uniform
expect "malformed --set" 1 "--set degree_fraction: expected key=value" -- "$run" --set degree_fraction plugins check uniform

printf 'manifest_version = 1\n[plugin]\nname = "bad"\nkind = "scorer"\n' > "$tmp/bad.toml"
expect "bad manifest is listed with its reason" 1 "$tmp/bad.toml:4: plugin.kind: unknown kind 'scorer'" -- \
  "$run" --plugin "$tmp" plugins list
expect "checking a bad manifest fails with the reason" 1 "unknown kind 'scorer'" -- \
  "$run" plugins check "$tmp/bad.toml"
expect "missing --plugin path" 1 "plugin path /no/such/dir: no such file or directory" -- \
  "$run" --plugin /no/such/dir plugins list
expect "unknown plugin" 1 "no plugin named 'nope'" -- "$run" plugins inspect nope
expect "train without a dataset names the key" 1 "dataset.path is not set" -- "$run" train
expect "unknown log level is a usage error" 2 "--log-level" -- "$run" --log-level loud plugins list

finish cli
