#!/usr/bin/env bash
# `cmake --install` into a fresh prefix, then projects that know nothing of
# this tree configure, build and run against it:
#   - examples/aot (find_package(gradc), gradc_add_graph): the generated
#     class trains a regression; editing the graph regenerates the code on
#     the next build, and a build with nothing changed does nothing;
#   - examples/c_api (gradc::capi, libgradc.so) and examples/host_jit
#     (gradc::runtime, the C++ API and its installed headers);
#   - examples/ddp (gradc::mpi), where gradc was built with MPI.
# Usage: install_consumer.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
for f in bin/gradc include/gradc/gradc.h include/gradc/runtime/Session.h \
         include/gradc/ir/Graph.h lib/cmake/gradc/gradcConfig.cmake \
         lib/cmake/gradc/gradcConfigVersion.cmake lib/cmake/gradc/GradcAddGraph.cmake; do
  test -e "$prefix/$f" || { echo "not installed: $f"; exit 1; }
done
ls "$prefix"/lib*/libgradc.so > /dev/null
"$prefix/bin/gradc" --version

configure=(-G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$prefix")
if command -v ccache > /dev/null; then
  configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

# The AOT consumer, from a copy so that its graph can be edited.
cp -r "$src/examples/aot" "$work/aot-src"
cmake -S "$work/aot-src" -B "$work/aot" "${configure[@]}" > "$work/aot-configure.log"
cmake --build "$work/aot"
"$work/aot/aot_demo"
header=$(find "$work/aot" -name Regression.h)
grep -q "class Regression" "$header"
grep -q "from graph 'regression' (graphs/regression.json)" "$header"
# Nothing changed: nothing to do.
cmake --build "$work/aot" | tee "$work/noop.log"
grep -q "no work to do" "$work/noop.log"
# Edit the graph (the batch is now 48 rows): the class is regenerated.
sed -i 's/\[64, 3\]/[48, 3]/; s/\[64, 1\]/[48, 1]/' "$work/aot-src/graphs/regression.json"
cmake --build "$work/aot" | tee "$work/rebuild.log"
grep -q "gradc: compiling graphs/regression.json" "$work/rebuild.log"
grep -q "input_x_shape{{48, 3}}" "$header"
"$work/aot/aot_demo"

# The C API and the C++ API from the installed tree.
cmake -S "$src/examples/c_api" -B "$work/c_api" "${configure[@]}" > "$work/c_api-configure.log"
cmake --build "$work/c_api"
"$work/c_api/c_api" "$src/examples/seed.json" | grep -q "x.grad = 4.5 4.5 4.5 4.5"
cmake -S "$src/examples/host_jit" -B "$work/host_jit" "${configure[@]}" > "$work/host_jit-configure.log"
cmake --build "$work/host_jit"
"$work/host_jit/host_jit" "$src/examples/seed.json" | grep -q "x.grad = 4.5 4.5 4.5 4.5"
# Data-parallel training (gradc::mpi), where gradc was built with MPI: two
# ranks of the installed-tree build must halve the loss.
if [ -f "$prefix/lib/cmake/gradc/gradcMpiTargets.cmake" ] && command -v mpirun > /dev/null; then
  cmake -S "$src/examples/ddp" -B "$work/ddp" "${configure[@]}" > "$work/ddp-configure.log"
  cmake --build "$work/ddp"
  OMPI_MCA_btl_vader_single_copy_mechanism=none mpirun --allow-run-as-root --oversubscribe \
    --bind-to none --mca btl self,vader --mca mpi_yield_when_idle 1 -np 2 "$work/ddp/ddp" \
    --in 64 --hidden 32 --steps 30 --batch 32 --lr 0.2 --require-drop 0.5
fi
echo "install_consumer: all checks passed"
