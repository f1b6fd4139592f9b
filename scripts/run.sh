#!/usr/bin/env bash
# Builds gradc (installing what is missing) and runs it. With no arguments
# it runs the main job: `gradc run examples/seed.json`, the seed document's
# worked example. Otherwise the arguments go to gradc.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/build.sh"
build="${GRADC_BUILD_DIR:-$root/build}"
if [ $# -eq 0 ]; then
  cd "$root"
  exec "$build/bin/gradc" run examples/seed.json
fi
exec "$build/bin/gradc" "$@"
