#!/usr/bin/env bash
# Runs gradc on one bad input of the error corpus and checks the answer:
# exit status 1, and every expected line of CASE.expect on stderr.
# Usage: check-error.sh GRADC CASE_FILE
# CASE.expect (next to CASE_FILE, same base name) holds:
#   args: run --format json     the gradc command (default: dump)
#   env: NAME=VALUE             an environment variable (repeatable)
#   # ...                       a comment
#   any other line              a substring stderr must contain
set -uo pipefail
gradc="$1"
input="$2"
expect="${input%.*}.expect"
[ -f "$expect" ] || { echo "missing $expect"; exit 2; }
args="dump"
envs=()
wants=()
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    "#"*|"") ;;
    "args: "*) args="${line#args: }" ;;
    "env: "*) envs+=("${line#env: }") ;;
    *) wants+=("$line") ;;
  esac
done <"$expect"
err="$(mktemp)"
trap 'rm -f "$err"' EXIT
# Inputs are named relative to their folder so messages are stable.
cd "$(dirname "$input")"
env ${envs[@]+"${envs[@]}"} timeout 60 "$gradc" $args "$(basename "$input")" \
  >/dev/null 2>"$err"
rc=$?
status=0
if [ "$rc" -ne 1 ]; then
  echo "FAIL: expected exit status 1, got $rc"
  status=1
fi
for w in "${wants[@]}"; do
  if ! grep -qF -- "$w" "$err"; then
    echo "FAIL: stderr lacks: $w"
    status=1
  fi
done
if [ "$status" -ne 0 ]; then
  echo "--- stderr of gradc $args $(basename "$input"):"
  cat "$err"
fi
exit "$status"
