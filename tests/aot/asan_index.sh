#!/usr/bin/env bash
# AddressSanitizer on the ahead-of-time code of the indexing ops with
# indices out of range (tests/aot/programs/asan_index_driver.cpp): statuses,
# never a read or write outside a buffer.
# Usage: asan_index.sh GRADC SOURCE_DIR WORK_DIR
set -euo pipefail
gradc=$1 src=$2 work=$3
cxx=${CXX:-c++}
rm -rf "$work" && mkdir -p "$work"
cd "$work"
"$gradc" compile "$src/tests/aot/graphs/index.json" -o gen
"$cxx" -std=c++17 -O1 -g -fsanitize=address -fno-omit-frame-pointer -I gen \
  "$src/tests/aot/programs/asan_index_driver.cpp" gen/index.cpp -lopenblas -lm \
  -o asan_index
ASAN_OPTIONS="halt_on_error=1 exitcode=66 detect_leaks=1" ./asan_index
