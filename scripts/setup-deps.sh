#!/usr/bin/env bash
# Installs the Debian packages gradc needs to build and test (see docs/ and DESIGN).
# Idempotent: packages already present are not touched, and nothing runs apt when all are there.
set -euo pipefail

packages=(
  cmake ninja-build ccache
  llvm-19-dev libclang-cpp19-dev libclang-19-dev clang-19 llvm-19-tools
  nlohmann-json3-dev libgtest-dev libbenchmark-dev libopenblas-dev
  libopenmpi-dev openmpi-bin
  libclang-rt-19-dev
)
# oneDNN (PyTorch's own CPU convolution): bench/conv_candidates compares
# gradc's convolutions with it; the build skips that benchmark without it.
packages+=(libdnnl-dev)
# The Python package (python/, built when pybind11 is found) and the ONNX
# reader behind `gradc import`.
packages+=(pybind11-dev python3-pybind11 python3-numpy python3-onnx)
# python3-torch is a test/benchmark oracle only; GRADC_WITH_TORCH=0 skips it.
if [ "${GRADC_WITH_TORCH:-1}" != "0" ]; then
  packages+=(python3-torch python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" != "0" ]; then
  echo "setup-deps: missing packages and not root; install them with: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
