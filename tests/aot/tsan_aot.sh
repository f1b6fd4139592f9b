#!/usr/bin/env bash
# ThreadSanitizer on the ahead-of-time code: NAME.cpp and a program that
# runs one graph from several threads (tests/aot/programs/tsan_driver.cpp),
# both instrumented by the system compiler. OpenBLAS is not instrumented;
# it runs single-threaded inside each caller thread (OPENBLAS_NUM_THREADS=1)
# so that its own worker pool cannot produce reports about itself.
# Usage: tsan_aot.sh GRADC SOURCE_DIR WORK_DIR
set -euo pipefail
gradc=$1 src=$2 work=$3
cxx=${CXX:-c++}
rm -rf "$work" && mkdir -p "$work"
cd "$work"
"$gradc" compile "$src/tests/aot/graphs/net.json" -o gen --class Net --namespace tsan
"$gradc" compile "$src/examples/seed.json" -o gen --class Seed
for class in tsan::Net Seed; do
  name=${class##*::}
  "$cxx" -std=c++17 -O1 -g -fsanitize=thread -I gen \
    "-DGRADC_AOT_HEADER=\"$name.h\"" "-DGRADC_AOT_CLASS=$class" \
    "$src/tests/aot/programs/tsan_driver.cpp" "gen/$name.cpp" -lopenblas -lm -pthread \
    -o "tsan_$name"
  OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1 exitcode=66" "./tsan_$name"
done
