#!/usr/bin/env bash
# Feeds every graph file of a folder to `gradc run` and `gradc dump` and
# classifies each invocation:
#   result   exit 0
#   error    exit 1 or 2 with a message containing "error" on stderr
#   bad      anything else: a crash, a signal, exit 3 ("internal error"),
#            or a non-zero exit without a message
#   timeout  did not finish within the time limit
# Usage: run_hostile.sh GRADC DIR [TIMEOUT_S] [LOG.tsv]
# Exits non-zero when any invocation is bad or timed out. The memory of each
# run is capped (ulimit -v, GRADC_HOSTILE_VMEM_KB kilobytes, default 20 GB,
# or "unlimited") so that runaway allocation shows as a failure, not as a
# swapping machine.
set -uo pipefail
gradc="$1"
dir="$2"
limit="${3:-30}"
log="${4:-/dev/null}"
vmem_kb="${GRADC_HOSTILE_VMEM_KB:-20000000}"
declare -A count=([result]=0 [error]=0 [bad]=0 [timeout]=0)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf 'file\tcommand\tclass\texit\tseconds\tmessage\n' >"$log"
for f in "$dir"/*; do
  [ -f "$f" ] || continue
  for cmd in "run --format json" "dump" "dump --emit cpp"; do
    start=$(date +%s%N)
    (ulimit -v "$vmem_kb"; exec timeout -k 5 "$limit" "$gradc" $cmd "$f") \
      >"$tmp/out" 2>"$tmp/err"
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    secs="$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    msg="$(head -c 300 "$tmp/err" | tr '\n\t' '  ')"
    if [ "$rc" -eq 0 ]; then
      class=result
    elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
      class=timeout
    elif { [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; } && grep -qi "error" "$tmp/err"; then
      class=error
    else
      class=bad
    fi
    count[$class]=$((count[$class] + 1))
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(basename "$f")" "$cmd" "$class" \
      "$rc" "$secs" "$msg" >>"$log"
    if [ "$class" = bad ] || [ "$class" = timeout ]; then
      echo "$class: gradc $cmd $(basename "$f") (exit $rc): $msg" >&2
    fi
  done
done
echo "hostile corpus: result=${count[result]} error=${count[error]}" \
  "bad=${count[bad]} timeout=${count[timeout]}"
[ "${count[bad]}" -eq 0 ] && [ "${count[timeout]}" -eq 0 ]
