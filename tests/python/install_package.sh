#!/usr/bin/env bash
# `cmake --install` into a fresh prefix: the installed package imports with
# PYTHONPATH=PREFIX/PYDIR and runs the seed example, and the installed
# `gradc import` finds its ONNX reader in the installed package.
# Usage: install_package.sh BUILD_DIR SOURCE_DIR WORK_DIR PYDIR PYTHON
set -euo pipefail
build=$1 src=$2 work=$3 pydir=$4 python=$5
rm -rf "$work" && mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
for f in gradc/__init__.py gradc/fx_export.py gradc/export_ops.py gradc/export_context.py \
         gradc/export_builders.py gradc/export_layers.py gradc/export_shapes.py \
         gradc/onnx_import.py gradc/onnx_ops.py gradc/onnx_fold.py; do
  test -e "$prefix/$pydir/$f" || { echo "not installed: $pydir/$f"; exit 1; }
done
cd "$work"
PYTHONPATH="$prefix/$pydir" "$python" - "$src/examples/seed.json" "$prefix/$pydir" <<'PY'
import sys, numpy as np, gradc
assert gradc.__file__.startswith(sys.argv[2]), gradc.__file__
r = gradc.compile(sys.argv[1]).run(backward=["out"])
assert float(r.outputs["out"]) == 27.0 and np.allclose(r.grads["x"], 4.5)
PY
if "$python" -c "import onnx" 2> /dev/null; then
  "$python" - <<'PY'
import onnx
from onnx import helper, TensorProto
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
g = helper.make_graph([helper.make_node("Tanh", ["x"], ["y"])], "tiny", [x], [y])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), "tiny.onnx")
PY
  env -u GRADC_ONNX_IMPORTER "$prefix/bin/gradc" import tiny.onnx -o tiny.grad
  grep -q "tanh" tiny.grad
fi
echo "installed package OK"
