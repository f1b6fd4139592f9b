#!/usr/bin/env bash
# Installs missing dependencies, configures (once) and builds gradc into build/.
# Usage: scripts/build.sh [extra cmake -D options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup-deps.sh"

build="${GRADC_BUILD_DIR:-$root/build}"
jobs="${GRADC_JOBS:-$(nproc)}"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${GRADC_BUILD_TYPE:-Release}" \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "$@" >&2
fi
cmake --build "$build" -j "$jobs" >&2
