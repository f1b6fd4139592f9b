"""Size variables (docs/symbolic-sizes.md): what a graph with a symbolic
batch size costs against the same graph written with a number.

  step    the MLP step (784-512-512-10, cross-entropy) at B = 128, fused
          entry point called from C++ (_time_fused), symbolic graph vs the
          static one: median and spread of --repeat runs, and the ratio
  sweep   one run at every B in 1..--max-batch through one SizedGraph with
          the compile cache off: the number of compiles (code templates and
          sizes compiled alone), of sizes that linked a template instead,
          the total wall time and the time per new size; then the same
          sweep with every size compiled on its own (the static graph per
          size, as before templates), for comparison

Run: PYTHONPATH=build/python /usr/bin/python3 bench/symbolic_sizes.py [--json]
"""
import argparse
import json
import statistics
import time

import numpy as np

import gradc


def mlp(batch, sizes=(784, 512, 512, 10)):
    inputs = [{"name": "x", "shape": [batch, sizes[0]]},
              {"name": "t", "dtype": "i64", "shape": [batch]}]
    nodes, h = [], "x"
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        inputs += [{"name": "w%d" % i, "shape": [a, b], "requires_grad": True,
                    "init": {"randn": i + 1}},
                   {"name": "b%d" % i, "shape": [b], "requires_grad": True,
                    "init": "zeros"}]
        nodes += [{"name": "m%d" % i, "op": "matmul", "inputs": [h, "w%d" % i]},
                  {"name": "a%d" % i, "op": "add", "inputs": ["m%d" % i, "b%d" % i]}]
        h = "a%d" % i
        if i + 2 < len(sizes):
            nodes.append({"name": "r%d" % i, "op": "relu", "inputs": [h]})
            h = "r%d" % i
    nodes.append({"name": "loss", "op": "cross_entropy", "inputs": [h, "t"]})
    return {"name": "mlp", "inputs": inputs, "nodes": nodes, "outputs": ["loss"]}


def feed(b, rng):
    return {"x": rng.standard_normal((b, 784)).astype(np.float32),
            "t": rng.integers(0, 10, size=b).astype(np.int64)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--max-batch", type=int, default=256)
    ap.add_argument("--alone-stride", type=int, default=8,
                    help="compile every Nth size alone for the comparison")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    data = feed(a.batch, rng)

    sym = gradc.compile(mlp("B"))
    sym.set_inputs(data)
    sym.run(inputs=data)
    member = sym._current  # the compiled graph of B = a.batch
    static = gradc.compile(mlp(a.batch))
    static.set_inputs(data)
    step = {"symbolic": [], "static": []}
    for _ in range(a.repeat):  # alternate, so load drifts hit both alike
        for name, g in (("symbolic", member), ("static", static)):
            step[name].append(statistics.median(g._time_fused(iters=a.iters)) / 1e6)

    sweep = gradc.compile(mlp("B"), cache=False)
    t0 = time.perf_counter()
    for b in range(1, a.max_batch + 1):
        sweep.run(inputs=feed(b, rng))
    total = time.perf_counter() - t0
    # The same sizes, each compiled on its own (cache off): what a sweep
    # cost before sizes shared code.
    t0 = time.perf_counter()
    for b in range(1, a.max_batch + 1, a.alone_stride):
        gradc.compile(mlp(b), cache=False).run(inputs=feed(b, rng))
    alone = (time.perf_counter() - t0) / len(range(1, a.max_batch + 1, a.alone_stride))

    med = {k: statistics.median(v) for k, v in step.items()}
    r = {"batch": a.batch,
         "step_ms": {k: {"median": med[k], "min": min(v), "max": max(v)}
                     for k, v in step.items()},
         "symbolic_over_static": med["symbolic"] / med["static"],
         "sweep": {"max_batch": a.max_batch, "compiles": sweep.compile_count,
                   "instances": sweep.instance_count,
                   "total_s": total, "per_size_ms": 1e3 * total / a.max_batch,
                   "alone_per_size_ms": 1e3 * alone}}
    if a.json:
        print(json.dumps(r, indent=1))
        return
    for k in ("symbolic", "static"):
        s = r["step_ms"][k]
        print("step B=%d %-9s %.3f ms [%.3f-%.3f]" % (a.batch, k, s["median"], s["min"], s["max"]))
    print("symbolic / static: %.3fx" % r["symbolic_over_static"])
    w = r["sweep"]
    print("B = 1..%d: %d compiles, %d sizes linked a template, %.2f s in all, "
          "%.1f ms per size (compiled alone: %.1f ms per size)"
          % (w["max_batch"], w["compiles"], w["instances"], w["total_s"],
             w["per_size_ms"], w["alone_per_size_ms"]))


if __name__ == "__main__":
    main()
