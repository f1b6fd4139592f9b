#!/usr/bin/python3
"""gradc and PyTorch side by side, with the hardware limits, in one run.

Runs each workload through `gradc bench --format json` and through PyTorch
eager (Debian's python3-torch), each PyTorch workload in a fresh process so
its peak memory is its own (the GEMM limit too, so OpenBLAS threads left
spinning by it cannot slow the next run), and prints one table:

  (a) the seed chain mean(3*(x+2)^2), forward+backward, x = 4M f32,
      against the time memcpy takes to copy the same 16 MiB;
  (b) the seed example (2x2), forward+backward, per call;
  (c) an MLP 784-512-512-10, batch 128, relu, cross-entropy,
      forward+backward, against the sum of the times OpenBLAS takes for the
      same eight GEMMs (same shapes and transposes);
  (d) JIT compile time (a full compile: the compile cache is off): until
      the fused entry point is callable, and in parentheses the
      forward/backward pair, compiled meanwhile on a second thread;
  (e) peak resident memory of the whole process;
  (f) beyond the issue's list: 64 elementwise ops on 1M f32 values, a
      third of them tanh, exp and sin (bench/graphs/activations64.json),
      forward+backward, where vectorized math functions matter.

Every time is a median: within a run over many calls, then over --repeat
runs that alternate gradc, PyTorch and the limits (so a burst of load on a
shared machine hits all of them alike). Usage:

  /usr/bin/python3 bench/side_by_side.py [--gradc build/bin/gradc]
                                         [--rounds N] [--repeat R] [--json FILE]

Run it with the interpreter that has torch: /usr/bin/python3 on Debian.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import statistics
import subprocess
import sys
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
import json, resource, sys, time, torch
torch.manual_seed(0)
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


def memcpy_ns(nbytes, reps):
    """Median time of glibc memcpy copying nbytes between two buffers."""
    src = ctypes.create_string_buffer(nbytes)
    dst = ctypes.create_string_buffer(nbytes)
    ctypes.memmove(dst, src, nbytes)  # touch both
    times = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        ctypes.memmove(dst, src, nbytes)
        times.append(time.perf_counter_ns() - t0)
    return median(times)


def gemm_sum_ns(reps):
    """Sum of the median times of the MLP's eight GEMMs through OpenBLAS."""
    name = ctypes.util.find_library("openblas") or "libopenblas.so.0"
    blas = ctypes.CDLL(name)
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

    runs = {name: {"gradc": [], "torch": []} for name in WORKLOADS}
    memcpys, gemms = [], []
    for _ in range(max(args.repeat, 1)):
        for name, graph in WORKLOADS.items():
            rounds = min(args.rounds, ROUNDS_CAP.get(name, args.rounds))
            runs[name]["gradc"].append(run_gradc(args.gradc, graph, rounds))
            runs[name]["torch"].append(run_torch(name, rounds))
        memcpys.append(memcpy_ns(4 * 4 * 1024 * 1024, max(args.rounds, 50)))
        gemms.append(gemm_sum_ns_child(max(args.rounds // 4, 25)))

    res = {}
    for name in WORKLOADS:
        gs, ts = runs[name]["gradc"], runs[name]["torch"]
        g = dict(gs[0])
        g["run_ns"] = {"median": median([x["run_ns"]["median"] for x in gs]),
                       "min": min(x["run_ns"]["min"] for x in gs),
                       "max": max(x["run_ns"]["max"] for x in gs)}
        g["compile_ms"] = median([x["compile_ms"] for x in gs])
        g["pair_ms"] = median([x.get("compile_detail_ms", {}).get("pair", 0.0) for x in gs])
        g["peak_rss_bytes"] = max(x["peak_rss_bytes"] for x in gs)
        res[name] = {"gradc": g,
                     "gradc_runs": gs,
                     "torch_median_ns": median([median(t["run_ns"]) for t in ts]),
                     "torch_peak_rss": max(t["peak_rss_bytes"] for t in ts),
                     "torch_threads": ts[0]["threads"]}
    res["memcpy_ns"] = median(memcpys)
    order = sorted(range(len(gemms)), key=lambda i: gemms[i][0])
    res["gemm_sum_ns"], res["gemm_ns"] = gemms[order[len(order) // 2]]

    rows = []
    ch, sd, ml = res["chain"], res["seed"], res["mlp"]
    def gmed(w):
        return w["gradc"]["run_ns"]["median"]
    rows.append(("(a) chain 4M fwd+bwd", fmt_ns(gmed(ch)), fmt_ns(ch["torch_median_ns"]),
                 "%.1fx" % (ch["torch_median_ns"] / gmed(ch)),
                 "memcpy 16 MiB " + fmt_ns(res["memcpy_ns"]),
                 "%.2fx" % (gmed(ch) / res["memcpy_ns"])))
    rows.append(("(b) seed 2x2 fwd+bwd", fmt_ns(gmed(sd)), fmt_ns(sd["torch_median_ns"]),
                 "%.0fx" % (sd["torch_median_ns"] / gmed(sd)), "-", "-"))
    rows.append(("(c) MLP b128 fwd+bwd", fmt_ns(gmed(ml)), fmt_ns(ml["torch_median_ns"]),
                 "%.2fx" % (ml["torch_median_ns"] / gmed(ml)),
                 "GEMM sum " + fmt_ns(res["gemm_sum_ns"]),
                 "%.2fx" % (gmed(ml) / res["gemm_sum_ns"])))
    ac = res["activations"]
    rows.append(("(f) 64 ops, tanh/exp/sin, 1M", fmt_ns(gmed(ac)), fmt_ns(ac["torch_median_ns"]),
                 "%.2fx" % (ac["torch_median_ns"] / gmed(ac)), "-", "-"))
    for name, label in (("chain", "(d) compile chain"), ("seed", "(d) compile seed"),
                        ("mlp", "(d) compile MLP"), ("activations", "(d) compile (f)")):
        g = res[name]["gradc"]
        rows.append((label, "%.1f ms (pair %.1f ms)" % (g["compile_ms"], g["pair_ms"]),
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
    print("\nmedians of %d alternating runs; gradc threads: %d, PyTorch threads: %d;"
          " GEMMs (us): %s; load average %s" % (
              max(args.repeat, 1), ml["gradc"].get("threads", 0), ml["torch_threads"],
              " ".join("%.0f" % (x / 1e3) for x in res["gemm_ns"]),
              open("/proc/loadavg").read().split()[0]
              if os.path.exists("/proc/loadavg") else "?"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
