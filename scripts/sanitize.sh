#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UndefinedBehaviorSanitizer
# (clang-19, -DGRADC_SANITIZE=ON) in build-asan/ and runs the whole test
# suite there. Any sanitizer report fails the test that triggered it
# (UBSan is built with -fno-sanitize-recover). Extra arguments go to ctest.
#
# Usage: scripts/sanitize.sh [ctest args, e.g. -L robust]
# Generated code the JIT compiles is not instrumented; the compiler, the
# runtime and the tests around it are.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GRADC_ASAN_BUILD_DIR:-$root/build-asan}"
jobs="${GRADC_JOBS:-$(nproc)}"
bash "$root/scripts/setup-deps.sh"

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DGRADC_SANITIZE=ON -DGRADC_BUILD_BENCH=OFF "${launcher[@]}" >&2
cmake --build "$build" -j "$jobs" >&2

# detect_leaks: the JIT keeps LLVM's global state alive until exit.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# ASan reserves terabytes of address space for its shadow memory, which the
# hostile corpus's per-run ulimit -v would refuse; ASan bounds memory itself.
export GRADC_HOSTILE_VMEM_KB=unlimited
cd "$build"
# Two tests load the instrumented C API library into programs built without
# the sanitizer runtime (Python's ctypes, an installed-package consumer);
# they cannot work in this build and are left to the normal one.
ctest --output-on-failure -j "$jobs" -LE "fuzz-run|robust-large" \
  -E "aot/(ffi_ctypes|install_consumer)" "$@"
