#!/usr/bin/env bash
# The compile cache shared by several gradc processes at once: all of them
# succeed with the same numbers, the cache ends up with one complete entry
# per translation unit (the fused entry point, the forward/backward pair)
# and no temporary files, and a damaged entry is ignored by the next
# processes (which still agree) and replaced by a good one.
# Usage: cache_processes.sh GRADC SOURCE_DIR WORK_DIR
set -euo pipefail
gradc=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cd "$work"
export GRADC_CACHE_DIR="$work/cache"
graph="$src/tests/aot/graphs/chain.json"
echo '{"a": [[1, 2, 3, 4], [0, -1, 2, 0.5], [3, 1, 1, 1]], "b": [0.1, 0.2, 0.3, 0.4],
       "c": [[1], [2], [3]]}' > inputs.json

race() { # N TAG: N processes at once, all must succeed and agree
  local pids=() i
  for i in $(seq 1 "$1"); do
    "$gradc" run "$graph" --inputs inputs.json --format json > "$2.$i.json" 2> "$2.$i.err" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      echo "process $((i + 1)) failed:"; cat "$2.$((i + 1)).err"; exit 1
    fi
  done
  for i in $(seq 2 "$1"); do cmp "$2.1.json" "$2.$i.json"; done
}

entries() { find cache -type f -name '*.o-cache' | wc -l; }
temporaries() { find cache -type f -name '*.tmp-*' | wc -l; }

race 6 cold
test "$(entries)" = 2 || { echo "expected 2 cache entries, found $(entries)"; exit 1; }
test "$(temporaries)" = 0 || { echo "temporary files left behind"; exit 1; }
entry=$(find cache -type f -name '*.o-cache' | sort | head -n 1)
cp "$entry" good.entry

# Warm: the entry is used, the numbers stay the same.
race 4 warm
cmp cold.1.json warm.1.json
cmp "$entry" good.entry

# Damaged entries: truncated, then overwritten in the middle.
head -c 100 good.entry > "$entry"
race 4 truncated
cmp cold.1.json truncated.1.json
cmp "$entry" good.entry
size=$(stat -c %s good.entry)
cp good.entry "$entry"
printf 'XXXXXXXX' | dd of="$entry" bs=1 seek=$((size / 2)) conv=notrunc status=none
race 4 damaged
cmp cold.1.json damaged.1.json
cmp "$entry" good.entry
test "$(temporaries)" = 0

# --no-cache neither reads nor writes the cache.
rm -rf cache
"$gradc" run "$graph" --inputs inputs.json --format json --no-cache > nocache.json
cmp cold.1.json nocache.json
test ! -e cache
echo "cache_processes: all checks passed"
