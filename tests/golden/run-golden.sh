#!/usr/bin/env bash
# Runs the RUN: lines of one golden test file, lit-style.
# Substitutions: %s (this file), %S (its folder), %t (a scratch path),
# %gradc, %FileCheck, %not. A RUN line ending in '\' continues on the next.
# Usage: run-golden.sh FILE GRADC FILECHECK NOT
set -euo pipefail
file="$1"; gradc="$2"; filecheck="$3"; notbin="$4"
dir="$(cd "$(dirname "$file")" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cmds=()
cur=""
while IFS= read -r line; do
  case "$line" in
    *RUN:*)
      part="${line#*RUN:}"
      if [[ "$part" == *'\' ]]; then
        cur+="${part%\\} "
      else
        cmds+=("$cur$part")
        cur=""
      fi
      ;;
  esac
done < "$file"

if [ ${#cmds[@]} -eq 0 ]; then
  echo "no RUN: lines in $file" >&2
  exit 1
fi

for c in "${cmds[@]}"; do
  c="${c//%gradc/$gradc}"
  c="${c//%FileCheck/$filecheck}"
  c="${c//%not/$notbin}"
  c="${c//%S/$dir}"
  c="${c//%s/$file}"
  c="${c//%t/$scratch/t}"
  echo "RUN: $c"
  (cd "$scratch" && bash -o pipefail -c "$c")
done
