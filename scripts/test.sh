#!/usr/bin/env bash
# Builds gradc (installing what is missing) and runs the whole test suite through ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/build.sh"
build="${GRADC_BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure -j "${GRADC_JOBS:-$(nproc)}" "$@"
