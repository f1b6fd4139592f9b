#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-19, ASan + UBSan + coverage) in
# build-fuzz/ and fuzzes each for SECONDS (default 30) through ctest
# (label fuzz-run), starting from the committed seed corpora.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]    TARGET: json ir pipeline dsl
#   scripts/fuzz.sh 0             build the fuzzers only
#   GRADC_FUZZ_RUNS=20000 scripts/fuzz.sh 300
#                                 20000 inputs each (reproducible), 300 s cap
#   scripts/fuzz.sh 3600 json     one hour on the JSON loader
# New inputs go to build-fuzz/tests/fuzz/work/TARGET/, crashing inputs to
# build-fuzz/tests/fuzz/artifacts/. A crash found: minimize it
# (TARGET_fuzzer -minimize_crash=1 FILE), fix the bug, and add the input to
# tests/fuzz/corpus/TARGET/ so the replay test keeps it fixed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-30}"
shift || true
build="${GRADC_FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${GRADC_JOBS:-$(nproc)}"
bash "$root/scripts/setup-deps.sh"

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DGRADC_FUZZ=ON -DGRADC_BUILD_BENCH=OFF -DGRADC_FUZZ_SECONDS="$seconds" \
  -DGRADC_FUZZ_RUNS="${GRADC_FUZZ_RUNS:--1}" \
  "${launcher[@]}" >&2
cmake --build "$build" --target fuzz_targets -j "$jobs" >&2

# SECONDS=0: build only (libFuzzer would read 0 as "no time limit").
[ "$seconds" = 0 ] && exit 0

filter="fuzz/.*-run"
if [ $# -gt 0 ]; then
  filter="fuzz/($(IFS='|'; echo "$*"))-run"
fi
cd "$build"
# Fuzzers run one at a time: each uses one core, the machine has few.
ctest -L fuzz-run -R "$filter" --output-on-failure
