#!/usr/bin/env bash
# For every .json and .grad graph below DIR: convert to the other format,
# convert back, and require identical `gradc dump` IR at each step.
set -euo pipefail
gradc="$1"; dir="$2"; tmp="$3"
mkdir -p "$tmp"
n=0
while IFS= read -r -d '' f; do
  case "$f" in
    *.json) other=grad ;;
    *.grad) other=json ;;
  esac
  # Only graph files: JSON inputs/seeds files have no "nodes".
  if [ "${f##*.}" = json ] && ! grep -q '"nodes"' "$f"; then continue; fi
  base="$tmp/$(basename "$f")"
  "$gradc" dump "$f" > "$base.ir"
  "$gradc" convert "$f" -o "$base.$other"
  "$gradc" dump "$base.$other" | diff -u "$base.ir" - 
  "$gradc" convert "$base.$other" -o "$base.back.${f##*.}"
  "$gradc" dump "$base.back.${f##*.}" | diff -u "$base.ir" -
  n=$((n + 1))
done < <(find "$dir" -type f \( -name '*.json' -o -name '*.grad' \) -print0 | sort -z)
echo "converted $n graphs"
[ "$n" -gt 0 ]
