#!/usr/bin/python3
"""Cold JIT compile times of gradc, and how they grow with the graph.

Each sample is a fresh `gradc bench GRAPH --no-cache --format json`
process, so every compile is cold: nothing of LLVM or clang is warm in the
process and the compile cache is off. The script reports compile_ms (graph
to a callable fused entry point) as the median over --samples processes
with the smallest and largest in brackets, for the workloads of the
performance targets (seed, 4M chain, MLP, a 1,000-op chain) and for
elementwise chains of 125 to 2,000 ops, with the time per op, so a reader
sees whether the cost per op grows with the graph.

On a machine shared with other jobs, wall-clock compile times measure the
other jobs as much as the compiler. With --fifo the samples run under
SCHED_FIFO (chrt -f 50; root only), so other processes cannot preempt the
compile; the table says which way it was measured and the load average
before and after.

Usage:
  /usr/bin/python3 bench/compile_times.py [--gradc build/bin/gradc]
                                          [--samples N] [--fifo] [--json FILE]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from side_by_side import loadavg, write_chain1000  # noqa: E402

TARGETS = [  # (label, graph, target in ms)
    ("seed", os.path.join(ROOT, "examples", "seed.json"), 15),
    ("4M chain", os.path.join(ROOT, "bench", "graphs", "chain4m.json"), 30),
    ("MLP 784-512-512-10", os.path.join(ROOT, "bench", "graphs", "mlp.json"), 100),
]
CHAIN_SIZES = [125, 250, 500, 1000, 2000]


def compile_ms(gradc, graph, fifo):
    cmd = [gradc, "bench", graph, "--no-cache", "--iters", "1", "--format", "json"]
    if fifo:
        cmd = ["chrt", "-f", "50"] + cmd
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    d = json.loads(out)
    return d["compile_ms"], d.get("compile_detail_ms", {}).get("parts", 1)


def measure(gradc, graph, samples, fifo):
    xs, parts = [], 1
    for _ in range(samples):
        ms, parts = compile_ms(gradc, graph, fifo)
        xs.append(ms)
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs),
            "parts": parts}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gradc", default=os.path.join(ROOT, "build", "bin", "gradc"))
    ap.add_argument("--samples", type=int, default=11,
                    help="cold compiles (processes) per graph (default 11)")
    ap.add_argument("--fifo", action="store_true",
                    help="run the compiles under SCHED_FIFO (chrt -f 50, root)")
    ap.add_argument("--json", help="also write the numbers to this file")
    args = ap.parse_args()
    if args.fifo and shutil.which("chrt") is None:
        sys.exit("compile_times: --fifo needs chrt (util-linux)")

    load_before = loadavg()
    workdir = tempfile.mkdtemp(prefix="gradc-compile-")
    res = {"targets": {}, "chains": {}}
    try:
        for label, graph, target in TARGETS + [
                ("1,000-op chain", None, 500)]:
            if graph is None:
                graph = os.path.join(workdir, "chain1000.json")
                write_chain1000(graph, 1000)
            r = measure(args.gradc, graph, args.samples, args.fifo)
            r["target_ms"] = target
            res["targets"][label] = r
        for n in CHAIN_SIZES:
            graph = os.path.join(workdir, "chain%d.json" % n)
            write_chain1000(graph, n)
            r = measure(args.gradc, graph, args.samples, args.fifo)
            r["per_op_ms"] = r["median"] / n
            res["chains"][n] = r
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    res["load"] = {"before": load_before, "after": loadavg()}
    res["fifo"] = args.fifo

    print("cold JIT compile, --no-cache, %d processes each%s; load %s -> %s"
          % (args.samples, ", SCHED_FIFO" if args.fifo else "",
             res["load"]["before"], res["load"]["after"]))
    print("%-22s %28s %10s %6s" % ("graph", "compile ms median [min-max]",
                                   "target", "parts"))
    for label, r in res["targets"].items():
        print("%-22s %12.1f [%6.1f-%6.1f] %8s %6d" % (
            label, r["median"], r["min"], r["max"],
            "< %d" % r["target_ms"], r["parts"]))
    print("%-22s %28s %10s %6s" % ("elementwise chain", "compile ms median [min-max]",
                                   "ms per op", "parts"))
    for n, r in res["chains"].items():
        print("%-22s %12.1f [%6.1f-%6.1f] %10.3f %6d" % (
            "%d ops" % n, r["median"], r["min"], r["max"], r["per_op_ms"],
            r["parts"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
