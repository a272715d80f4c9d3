# Shared by the shell tests: a temporary directory, pass/fail counters and two
# assertion helpers. Source it after setting `run` (the marius-run under test).
# shellcheck shell=bash
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# expect NAME EXPECTED_EXIT NEEDLE -- COMMAND...: the command exits with EXPECTED_EXIT
# and its output (stdout+stderr) contains NEEDLE.
expect() {
  local name=$1 code=$2 needle=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc -eq $code && $out == *"$needle"* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name (exit $rc, wanted $code; wanted output containing: $needle)"
    echo "$out" | head -20 | sed 's/^/    /'
  fi
}

# check NAME COMMAND...: passes when the command succeeds.
check() {
  local name=$1
  shift
  if "$@" > "$tmp/last.log" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name"
    sed 's/^/    /' "$tmp/last.log" | tail -20
  fi
}

# finish LABEL: prints "LABEL: N passed, N failed" and returns non-zero on failures.
finish() {
  echo "$1: $passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}
