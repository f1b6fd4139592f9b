#!/usr/bin/env bash
# One ahead-of-time object for a range of sizes (gradc compile --size
# B=LO..HI), checked against per-size builds (--size B=N) of the same
# graph, bit for bit, by tests/aot/programs/range_driver.cpp: the MLP
# 784-512-512-10 over B = 1..256 (one code template) and over B = 508..516
# (two: its loops run as parallel blocks from 512 on, which the driver runs
# on two threads), the seed graph over B = 1..256, LeNet-5 over B = 1..64
# and a GPT block over B = 1..32 (several templates each). The range's
# NAME.cpp and NAME.h also compile alone with the system compilers,
# warning-free.
# Usage: aot_range.sh GRADC SOURCE_DIR WORK_DIR
set -euo pipefail
gradc=$1 src=$2 work=$3
cxx=${CXX:-c++} cc=${CC:-cc}
rm -rf "$work" && mkdir -p "$work"
cd "$work"

check() { # GRAPH CLASS RANGE SIZES...
  local graph=$src/tests/aot/graphs/$1 class=$2 range=$3; shift 3
  echo "== $(basename "$graph") --size B=$range --class $class, against B=$*"
  "$gradc" compile "$graph" --size "B=$range" --class "$class" -o "$class" --emit h,cpp,o
  grep -q "^unsigned long long ${class}_sized_fwd_bwd(const long long \*sizes," "$class/$class.h"
  local includes=() objects=() list=""
  for n in "$@"; do
    "$gradc" compile "$graph" --size "B=$n" --class "S$n" -o "$class-$n" --emit h,o
    includes+=(-I "$class-$n" -include "S$n.h")
    objects+=("$class-$n/S$n.o")
    list+="X(S$n, $n) "
  done
  "$cxx" -std=c++17 -O1 -pthread -I "$class" "${includes[@]}" \
    "-DRANGE_HEADER=\"$class.h\"" "-DRANGE_PREFIX=$class" "-DRANGE_CLASS=$class" \
    "-DSIZES=$list" "$src/tests/aot/programs/range_driver.cpp" "$class/$class.o" \
    "${objects[@]}" -lopenblas -lm -o "driver-$class"
  "./driver-$class"
}

check mlp_range.json Mlp 1..256 1 7 128 256
grep -q "One unit for 256 bindings of the sizes, 1 code template(s)" Mlp/Mlp.cpp
check seed_batch.json Seed 1..256 1 7 128 256
check mlp_range.json MlpBlocks 508..516 508 511 512 516
grep -q "2 code template(s)" MlpBlocks/MlpBlocks.cpp
grep -q "gradc_parallel_for" MlpBlocks/MlpBlocks.cpp
# LeNet-5 (convolutions and pooling run as parallel blocks in local
# structs) and a GPT block, of several templates each.
check cnn_range.grad Cnn 1..64 1 7 26 64
check gpt_range.grad Gpt 1..32 1 2 7 32

"$cc" -std=c99 -Wall -Wextra -pedantic -Werror -fsyntax-only -x c Mlp/Mlp.h
"$cxx" -std=c++17 -Wall -Wextra -pedantic -Werror -fsyntax-only -x c++ Mlp/Mlp.h
for class in Mlp Seed; do
  "$cxx" -std=c++17 -O2 -Wall -Wextra -Werror -c "$class/$class.cpp" -o "$class.sys.o"
done
# The same input gives the same bytes.
"$gradc" compile "$src/tests/aot/graphs/seed_batch.json" --size B=1..256 --class Seed -o again --emit h,cpp,o
for ext in h cpp o; do cmp "Seed/Seed.$ext" "again/Seed.$ext"; done
echo "aot_range: all checks passed"
