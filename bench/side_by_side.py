#!/usr/bin/python3
"""gradc and PyTorch side by side, with the hardware limits, in one run.

Runs each workload through `gradc bench --format json` and through PyTorch
eager (Debian's python3-torch), each PyTorch workload in a fresh process so
its peak memory is its own (the GEMM limit too, so OpenBLAS threads left
spinning by it cannot slow the next run), and prints one table:

  (a) the seed chain mean(3*(x+2)^2), forward+backward, x = 4M f32,
      against its hardware limit: one hand-fused pass on every core that
      reads x, writes x.grad and sums for the mean (bench/limits/
      chain_limit.c, built here with cc -O3 -march=native -fopenmp);
  (b) the seed example (2x2), forward+backward, per call;
  (c) an MLP 784-512-512-10, batch 128, relu, cross-entropy,
      forward+backward, against the sum of the times OpenBLAS takes for the
      same eight GEMMs (same shapes and transposes) on as many threads as
      gradc uses (every core);
  (d) JIT compile time (a full compile: the compile cache is off): until
      the fused entry point is callable, and in parentheses the
      forward/backward pair, compiled afterwards on a second thread; also
      for a 1,000-op elementwise chain written by this script;
  (e) peak resident memory of the whole process;
  (f) beyond the issue's list: 64 elementwise ops on 1M f32 values, a
      third of them tanh, exp and sin (bench/graphs/activations64.json),
      forward+backward, where vectorized math functions matter.

Every time is a median: within a run over many calls, then over --repeat
runs that alternate gradc, PyTorch and the limits (so a burst of load on a
shared machine hits all of them alike). The table gives the median of the
runs' medians and, in brackets, the smallest and largest of them, and the
load average before and after, so a reader can tell a change from noise.
Usage:

  /usr/bin/python3 bench/side_by_side.py [--gradc build/bin/gradc]
                                         [--rounds N] [--repeat R] [--json FILE]

Run it with the interpreter that has torch: /usr/bin/python3 on Debian.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

WORKLOADS = {
    "chain": os.path.join(HERE, "graphs", "chain4m.json"),
    "seed": os.path.join(ROOT, "examples", "seed.json"),
    "mlp": os.path.join(HERE, "graphs", "mlp.json"),
    "activations": os.path.join(HERE, "graphs", "activations64.json"),
}
# Samples per run are capped where one call takes tens of milliseconds.
ROUNDS_CAP = {"activations": 20}

# The PyTorch programs, run in a child process each. They print one JSON
# line: the per-call times in ns and the process's peak RSS.
TORCH_PROGRAM = r"""
import json, os, resource, sys, time, torch
torch.manual_seed(0)
# As many threads as gradc uses (every core): PyTorch's own default can be
# fewer (one on a two-core virtual machine).
torch.set_num_threads(os.cpu_count() or 1)
which, calls = sys.argv[1], int(sys.argv[2])
if which == "chain":
    x = torch.randn(4 * 1024 * 1024, requires_grad=True)
    def step():
        x.grad = None
        out = (3 * (x + 2) ** 2).mean()
        out.backward()
elif which == "seed":
    x = torch.ones(2, 2, requires_grad=True)
    def step():
        x.grad = None
        y = x + 2
        z = y * y * 3
        out = z.mean()
        out.backward()
elif which == "activations":
    x = torch.randn(1024 * 1024, requires_grad=True)
    def step():
        x.grad = None
        v = x
        for i in range(64):
            k = i % 6
            if k == 0: v = v + 0.5
            elif k == 1: v = v * 0.5
            elif k == 2: v = torch.tanh(v)
            elif k == 3: v = torch.exp(v)
            elif k == 4: v = -v
            else: v = torch.sin(v)
        v.mean().backward()
else:
    x = torch.randn(128, 784)
    target = torch.zeros(128, dtype=torch.long)
    W1 = torch.randn(784, 512, requires_grad=True)
    b1 = torch.zeros(512, requires_grad=True)
    W2 = torch.randn(512, 512, requires_grad=True)
    b2 = torch.zeros(512, requires_grad=True)
    W3 = torch.randn(512, 10, requires_grad=True)
    b3 = torch.zeros(10, requires_grad=True)
    params = [W1, b1, W2, b2, W3, b3]
    def step():
        for p in params:
            p.grad = None
        h1 = torch.relu(x @ W1 + b1)
        h2 = torch.relu(h1 @ W2 + b2)
        loss = torch.nn.functional.cross_entropy(h2 @ W3 + b3, target)
        loss.backward()
for _ in range(3):
    step()
# Batches of calls lasting at least ~20 us each, like gradc bench.
t0 = time.perf_counter_ns(); step(); once = max(time.perf_counter_ns() - t0, 1)
batch = max(1, 20000 // once)
times = []
for _ in range(calls):
    t0 = time.perf_counter_ns()
    for _ in range(batch):
        step()
    times.append((time.perf_counter_ns() - t0) / batch)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"run_ns": times, "peak_rss_bytes": rss,
                  "threads": torch.get_num_threads()}))
"""


def median(xs):
    return statistics.median(xs)


def run_gradc(gradc, graph, iters):
    out = subprocess.run(
        [gradc, "bench", graph, "--format", "json", "--no-cache",
         "--iters", str(iters)],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def run_torch(which, calls):
    out = subprocess.run([sys.executable, "-c", TORCH_PROGRAM, which,
                          str(calls)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def build_chain_limit(workdir):
    """Compiles bench/limits/chain_limit.c; None without a C compiler."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        return None
    exe = os.path.join(workdir, "chain_limit")
    subprocess.run([cc, "-O3", "-march=native", "-fopenmp",
                    os.path.join(HERE, "limits", "chain_limit.c"), "-o", exe],
                   check=True)
    return exe


def chain_limit_ns(exe, reps):
    """Median time of the hand-fused two-core pass over 4M f32 values."""
    out = subprocess.run([exe, str(4 * 1024 * 1024), str(reps)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["median_ns"]


def write_chain1000(path, n=1000):
    """An n-op elementwise chain (tanh, mul, exp, add, sin, sub, sigmoid,
    mul, repeated) over 4096 f32 values, ending in a mean: with n = 1,000
    the compile-time workload of 'a 1,000-op graph'."""
    ops = ["tanh", "mul", "exp", "add", "sin", "sub", "sigmoid", "mul"]
    nodes, prev = [], "x"
    for i in range(n):
        op = ops[i % len(ops)]
        ins = [prev, 0.5 if op == "mul" else 0.25] if op in ("mul", "add", "sub") else [prev]
        nodes.append({"name": "v%d" % i, "op": op, "inputs": ins})
        prev = "v%d" % i
    nodes.append({"name": "out", "op": "mean", "inputs": [prev]})
    doc = {"name": "chain%d" % n,
           "inputs": [{"name": "x", "shape": [4096], "requires_grad": True,
                       "init": {"randn": 1}}],
           "nodes": nodes, "outputs": ["out"]}
    with open(path, "w") as f:
        json.dump(doc, f)


def spread(xs):
    """(median, min, max) of a list of numbers."""
    return median(xs), min(xs), max(xs)


def gemm_sum_ns(reps):
    """Sum of the median times of the MLP's eight GEMMs through OpenBLAS."""
    name = ctypes.util.find_library("openblas") or "libopenblas.so.0"
    blas = ctypes.CDLL(name)
    # As many threads as gradc uses: every core.
    blas.openblas_set_num_threads(os.cpu_count() or 1)
    sgemm = blas.cblas_sgemm
    sgemm.restype = None
    sgemm.argtypes = [ctypes.c_int] * 6 + [
        ctypes.c_float, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
        ctypes.c_int, ctypes.c_float, ctypes.c_void_p, ctypes.c_int]
    N, T = 111, 112  # CblasNoTrans, CblasTrans
    # (M, N, K, transA, transB): forward, then the weight and input
    # gradients of the backward (the input x needs none).
    shapes = [(128, 512, 784, N, N), (128, 512, 512, N, N), (128, 10, 512, N, N),
              (128, 512, 10, N, T), (512, 10, 128, T, N),
              (128, 512, 512, N, T), (512, 512, 128, T, N),
              (784, 512, 128, T, N)]
    size = 784 * 512
    bufs = [(ctypes.c_float * size)() for _ in range(3)]
    for i in range(size):
        bufs[0][i] = (i % 7) * 1e-3
        bufs[1][i] = (i % 5) * 1e-3
    a, b, c = (ctypes.addressof(x) for x in bufs)
    total = 0.0
    detail = []
    for (m, n, k, ta, tb) in shapes:
        lda = k if ta == N else m
        ldb = n if tb == N else k
        for _ in range(3):
            sgemm(101, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter_ns()
            sgemm(101, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n)
            times.append(time.perf_counter_ns() - t0)
        detail.append(median(times))
        total += median(times)
    return total, detail


def gemm_sum_ns_child(reps):
    """gemm_sum_ns in a child process: OpenBLAS's threads keep spinning for
    a while after the last GEMM, and in this process they would take a core
    from the gradc run that comes next."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__),
                          "--gemm-limit", str(reps)],
                         check=True, capture_output=True, text=True).stdout
    total, detail = json.loads(out.strip().splitlines()[-1])
    return total, detail


def loadavg():
    """The 1-, 5- and 15-minute load averages, as /proc/loadavg has them."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def fmt_ns(ns):
    if ns >= 1e6:
        return "%.3f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.2f us" % (ns / 1e3)
    return "%.1f ns" % ns


def fmt_bytes(b):
    return "%.1f MiB" % (b / 2**20)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gradc", default=os.path.join(ROOT, "build", "bin", "gradc"))
    ap.add_argument("--rounds", type=int, default=200,
                    help="timed samples per workload (default 200)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of everything, alternating (default 3)")
    ap.add_argument("--json", help="also write the numbers to this file")
    ap.add_argument("--gemm-limit", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.gemm_limit:  # the child of gemm_sum_ns_child
        print(json.dumps(gemm_sum_ns(args.gemm_limit)))
        return

    load_before = loadavg()
    workdir = tempfile.mkdtemp(prefix="gradc-bench-")
    limit_exe = build_chain_limit(workdir)
    chain1000 = os.path.join(workdir, "chain1000.json")
    write_chain1000(chain1000)
    runs = {name: {"gradc": [], "torch": []} for name in WORKLOADS}
    limits, gemms, compiles1000 = [], [], []
    for _ in range(max(args.repeat, 1)):
        for name, graph in WORKLOADS.items():
            rounds = min(args.rounds, ROUNDS_CAP.get(name, args.rounds))
            runs[name]["gradc"].append(run_gradc(args.gradc, graph, rounds))
            runs[name]["torch"].append(run_torch(name, rounds))
        if limit_exe:
            limits.append(chain_limit_ns(limit_exe, max(args.rounds, 50)))
        gemms.append(gemm_sum_ns_child(max(args.rounds // 4, 25)))
        compiles1000.append(run_gradc(args.gradc, chain1000, 5)["compile_ms"])
    shutil.rmtree(workdir, ignore_errors=True)
    load_after = loadavg()

    res = {}
    for name in WORKLOADS:
        gs, ts = runs[name]["gradc"], runs[name]["torch"]
        g = dict(gs[0])
        g["run_ns"] = {"median": median([x["run_ns"]["median"] for x in gs]),
                       "min": min(x["run_ns"]["min"] for x in gs),
                       "max": max(x["run_ns"]["max"] for x in gs)}
        g["run_spread_ns"] = spread([x["run_ns"]["median"] for x in gs])
        g["compile_spread_ms"] = spread([x["compile_ms"] for x in gs])
        g["compile_ms"] = median([x["compile_ms"] for x in gs])
        g["pair_ms"] = median([x.get("compile_detail_ms", {}).get("pair", 0.0) for x in gs])
        g["peak_rss_bytes"] = max(x["peak_rss_bytes"] for x in gs)
        res[name] = {"gradc": g,
                     "gradc_runs": gs,
                     "torch_median_ns": median([median(t["run_ns"]) for t in ts]),
                     "torch_spread_ns": spread([median(t["run_ns"]) for t in ts]),
                     "torch_peak_rss": max(t["peak_rss_bytes"] for t in ts),
                     "torch_threads": ts[0]["threads"]}
    res["chain_limit_ns"] = median(limits) if limits else None
    res["chain_limit_spread_ns"] = spread(limits) if limits else None
    order = sorted(range(len(gemms)), key=lambda i: gemms[i][0])
    res["gemm_sum_ns"], res["gemm_ns"] = gemms[order[len(order) // 2]]
    res["gemm_sum_spread_ns"] = spread([x[0] for x in gemms])
    res["compile1000_spread_ms"] = spread(compiles1000)
    res["load_average"] = {"before": load_before, "after": load_after}

    def with_spread(sp, fmt):
        return "%s [%s-%s]" % (fmt(sp[0]), fmt(sp[1]), fmt(sp[2]))
    def ms(x):
        return "%.1f ms" % x

    rows = []
    ch, sd, ml = res["chain"], res["seed"], res["mlp"]
    def gmed(w):
        return w["gradc"]["run_ns"]["median"]
    def gsp(w):
        return with_spread(w["gradc"]["run_spread_ns"], fmt_ns)
    def tsp(w):
        return with_spread(w["torch_spread_ns"], fmt_ns)
    if limits:
        rows.append(("(a) chain 4M fwd+bwd", gsp(ch), tsp(ch),
                     "%.1fx" % (ch["torch_median_ns"] / gmed(ch)),
                     "fused 2-core pass " + with_spread(res["chain_limit_spread_ns"], fmt_ns),
                     "%.2fx" % (gmed(ch) / res["chain_limit_ns"])))
    else:
        rows.append(("(a) chain 4M fwd+bwd", gsp(ch), tsp(ch),
                     "%.1fx" % (ch["torch_median_ns"] / gmed(ch)),
                     "no C compiler", "-"))
    rows.append(("(b) seed 2x2 fwd+bwd", gsp(sd), tsp(sd),
                 "%.0fx" % (sd["torch_median_ns"] / gmed(sd)), "-", "-"))
    rows.append(("(c) MLP b128 fwd+bwd", gsp(ml), tsp(ml),
                 "%.2fx" % (ml["torch_median_ns"] / gmed(ml)),
                 "GEMM sum " + with_spread(res["gemm_sum_spread_ns"], fmt_ns),
                 "%.2fx" % (gmed(ml) / res["gemm_sum_ns"])))
    ac = res["activations"]
    rows.append(("(f) 64 ops, tanh/exp/sin, 1M", gsp(ac), tsp(ac),
                 "%.2fx" % (ac["torch_median_ns"] / gmed(ac)), "-", "-"))
    for name, label in (("chain", "(d) compile chain"), ("seed", "(d) compile seed"),
                        ("mlp", "(d) compile MLP"), ("activations", "(d) compile (f)")):
        g = res[name]["gradc"]
        rows.append((label, "%s (pair %.1f ms)" % (with_spread(g["compile_spread_ms"], ms),
                                                   g["pair_ms"]),
                     "n/a (eager)", "-", "-", "-"))
    rows.append(("(d) compile 1,000-op chain", with_spread(res["compile1000_spread_ms"], ms),
                 "n/a (eager)", "-", "-", "-"))
    for name, label in (("chain", "(e) peak RSS chain"), ("seed", "(e) peak RSS seed"),
                        ("mlp", "(e) peak RSS MLP")):
        g, t = res[name]["gradc"]["peak_rss_bytes"], res[name]["torch_peak_rss"]
        rows.append((label, fmt_bytes(g), fmt_bytes(t), "%.2fx" % (t / g), "-", "-"))

    head = ("workload", "gradc", "PyTorch", "PyTorch/gradc", "limit", "gradc/limit")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = "  ".join("%-*s" % (w, h) for w, h in zip(widths, head))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join("%-*s" % (w, c) for w, c in zip(widths, r)))
    print("\nmedians of %d alternating runs [smallest-largest run median]; gradc threads: %d,"
          " PyTorch threads: %d; GEMMs (us): %s; load average before %s, after %s" % (
              max(args.repeat, 1), ml["gradc"].get("threads", 0), ml["torch_threads"],
              " ".join("%.0f" % (x / 1e3) for x in res["gemm_ns"]),
              load_before, load_after))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
