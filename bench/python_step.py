"""The cost of a compiled training step called from Python (docs/python.md).

For models exported from PyTorch with gradc.export (MLPs, a LeNet-style CNN,
a transformer block), measures per call:
  cpp     the fused forward+backward entry point called from C++ (the
          binding's _time_fused: no Python in the loop)
  python  g.run(inputs=..., accumulate=False) from Python: argument checks,
          new output arrays, the result object
  torch   the same step in PyTorch eager: zero_grad, forward, backward,
          timed in a separate process (in the process that ran gradc's
          kernels, both ran several times slower: docs/python.md)
and prints medians; python - cpp is the binding's overhead. Run:

  PYTHONPATH=build/python /usr/bin/python3 bench/python_step.py [--json]
      [--workloads mlp64,lenet64] [--threads 1] [--repeats 5]

--threads sets both sides' thread count (GRADC_NUM_THREADS for gradc's
loops and OpenBLAS; torch.set_num_threads and OPENBLAS_NUM_THREADS in the
child); --omp-passive makes PyTorch's idle OpenMP threads sleep (with two
threads on a loaded 2-core machine, their spinning starves the OpenBLAS
thread of the same step: steps 10x slower); with --repeats,
each cell is the median of the runs' medians, with the smallest and the
largest.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import gradc


class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x, target):
        for i, l in enumerate(self.layers):
            x = l(x)
            if i + 1 < len(self.layers):
                x = F.relu(x)
        return F.cross_entropy(x, target)


class LeNet(nn.Module):
    """conv-relu-pool twice, three linear layers, cross-entropy (28x28)."""

    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.f1, self.f2, self.f3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x, target):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2).flatten(1)
        return F.cross_entropy(self.f3(F.relu(self.f2(F.relu(self.f1(x))))), target)


class Block(nn.Module):
    """A pre-norm transformer block (causal attention, GELU MLP), MSE loss."""

    def __init__(self, C=64, nh=4):
        super().__init__()
        self.nh = nh
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.out = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x, y):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.nh, C // self.nh).transpose(1, 2) for t in (q, k, v))
        att = q @ k.transpose(-2, -1) / (C // self.nh) ** 0.5
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        att = F.softmax(att.masked_fill(mask, float("-inf")), dim=-1)
        h = x + self.proj((att @ v).transpose(1, 2).reshape(B, T, C))
        h = h + self.out(F.gelu(self.fc(self.ln2(h))))
        return F.mse_loss(h, y)


def lenet_model(batch):
    torch.manual_seed(0)
    return LeNet(), torch.randn(batch, 1, 28, 28), torch.randint(0, 10, (batch,))


def block_model(batch, T=32, C=64):
    torch.manual_seed(0)
    return Block(C), torch.randn(batch, T, C), torch.randn(batch, T, C)


def model_row(name, make, iters):
    m, x, t = make()
    graph = gradc.export(m, (x, t))
    g = gradc.compile(graph)
    names = [i["name"] for i in graph["inputs"]][:2]
    return measure(name, g, dict(zip(names, (x.numpy(), t.numpy()))), iters)


def per_call_us(fn, iters):
    """Median of per-call times, in microseconds (a median resists the
    noise of a shared machine better than a mean)."""
    ns = []
    clock = time.perf_counter_ns
    for _ in range(iters):
        t0 = clock()
        fn()
        ns.append(clock() - t0)
    return statistics.median(ns) / 1e3


def torch_step(m, x, t):
    def step():
        m.zero_grad(set_to_none=True)
        m(x, t).backward()
    return step


def measure(name, g, feed, iters):
    g.run(inputs=feed)
    cpp = statistics.median(g._time_fused(iters=iters)) / 1e3
    py = per_call_us(lambda: g.run(inputs=feed), iters)
    return {"workload": name, "cpp_us": cpp, "python_us": py, "overhead_us": py - cpp}


def mlp_model(sizes, batch):
    torch.manual_seed(0)
    m = MLP(sizes)
    x, t = torch.randn(batch, sizes[0]), torch.randint(0, sizes[-1], (batch,))
    return m, x, t


def mlp_row(sizes, batch, iters):
    m, x, t = mlp_model(sizes, batch)
    g = gradc.compile(gradc.export(m, (x, t)))
    feed = {"x": x.numpy(), "target": t.numpy()}
    name = "MLP %s, batch %d" % ("-".join(map(str, sizes)), batch)
    return measure(name, g, feed, iters)


def seed_row(iters):
    """The seed example: its kernel takes nanoseconds, so python - cpp is
    the binding alone."""
    g = gradc.compile("examples/seed.json")
    return measure("seed 2x2", g, {"x": np.ones((2, 2), np.float32)}, iters)


def seed_torch_step():
    x = torch.ones(2, 2, requires_grad=True)

    def step():
        x.grad = None
        (3 * (x + 2) ** 2).mean().backward()
    return step


# The workloads by key: (row maker, its PyTorch step, iterations).
WORKLOADS = {
    "seed": (lambda: seed_row(20000), seed_torch_step, 20000),
    "mlp-small": (lambda: mlp_row((32, 64, 64, 10), 16, 5000),
                  lambda: torch_step(*mlp_model((32, 64, 64, 10), 16)), 5000),
    "mlp": (lambda: mlp_row((784, 512, 512, 10), 128, 300),
            lambda: torch_step(*mlp_model((784, 512, 512, 10), 128)), 300),
    "mlp64": (lambda: mlp_row((784, 512, 512, 10), 64, 500),
              lambda: torch_step(*mlp_model((784, 512, 512, 10), 64)), 500),
    "lenet": (lambda: model_row("LeNet-5, batch 32", lambda: lenet_model(32), 200),
              lambda: torch_step(*lenet_model(32)), 200),
    "lenet64": (lambda: model_row("LeNet-5, batch 64", lambda: lenet_model(64), 150),
                lambda: torch_step(*lenet_model(64)), 150),
    "block": (lambda: model_row("transformer block, 8x32x64", lambda: block_model(8), 200),
              lambda: torch_step(*block_model(8)), 200),
}
DEFAULT = "seed,mlp-small,mlp,lenet,block"


def torch_only(keys, threads):
    """Child process: PyTorch's step times, one per workload (JSON)."""
    torch.set_num_threads(threads)
    json.dump([per_call_us(WORKLOADS[k][1](), max(WORKLOADS[k][2] // 10, 50)) for k in keys],
              sys.stdout)


def torch_run(keys, threads, omp_passive):
    """PyTorch's step times of every workload, measured in a child whose
    OpenBLAS has the same thread bound as gradc's (PyTorch's GEMMs are
    OpenBLAS calls here); `omp_passive`: its OpenMP threads sleep instead of
    spinning when idle (OMP_WAIT_POLICY=PASSIVE)."""
    import os
    import subprocess
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    if omp_passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-only",
                            "--workloads", ",".join(keys), "--threads", str(threads)],
                           capture_output=True, text=True, check=True, env=env)
    return json.loads(child.stdout)


def gradc_run(keys, torch_us):
    """gradc's times of every workload, here, with PyTorch's beside them."""
    rows = [WORKLOADS[k][0]() for k in keys]
    for r, t in zip(rows, torch_us):
        r["torch_us"] = t
        r["speedup_vs_torch"] = t / r["python_us"]
    return rows


def summarize(runs):
    """Per workload and field: the median of the runs' medians and their
    smallest and largest."""
    out = []
    for per_run in zip(*runs):
        row = {"workload": per_run[0]["workload"], "runs": len(per_run)}
        for f in ("cpp_us", "python_us", "overhead_us", "torch_us", "speedup_vs_torch"):
            vals = [r[f] for r in per_run]
            row[f] = statistics.median(vals)
            row[f + "_range"] = [min(vals), max(vals)]
        out.append(row)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--workloads", default=DEFAULT,
                    help="comma-separated keys of %s (default %s)" % (sorted(WORKLOADS), DEFAULT))
    ap.add_argument("--threads", type=int, default=2,
                    help="threads for gradc (GRADC_NUM_THREADS) and PyTorch (default 2)")
    ap.add_argument("--repeats", type=int, default=1,
                    help="whole measurements; cells are the median of their medians")
    ap.add_argument("--omp-passive", action="store_true",
                    help="PyTorch's OpenMP threads sleep when idle (OMP_WAIT_POLICY=PASSIVE)")
    ap.add_argument("--torch-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    keys = args.workloads.split(",")
    unknown = [k for k in keys if k not in WORKLOADS]
    if unknown:
        ap.error("unknown workloads %s (known: %s)" % (unknown, ", ".join(sorted(WORKLOADS))))
    if args.torch_only:
        torch_only(keys, args.threads)
        return
    import os
    # Read by gradc's thread pool (and its OpenBLAS bound) at the first run.
    os.environ["GRADC_NUM_THREADS"] = str(args.threads)
    # Every PyTorch run first, before this process starts gradc's (and
    # OpenBLAS's) worker threads: idle workers that still spin would take a
    # core from the child's threads.
    torch_runs = [torch_run(keys, args.threads, args.omp_passive) for _ in range(args.repeats)]
    rows = summarize([gradc_run(keys, t) for t in torch_runs])
    if args.json:
        json.dump({"threads": args.threads, "omp_passive": args.omp_passive,
                   "load_average": os.getloadavg(), "rows": rows},
                  sys.stdout, indent=1)
        print()
        return
    print("%d thread(s), %d run(s): median of run medians [smallest, largest]"
          % (args.threads, args.repeats))
    for r in rows:
        print("%s" % r["workload"])
        for f, label in (("cpp_us", "C++ call us"), ("python_us", "g.run() us"),
                         ("overhead_us", "overhead us"), ("torch_us", "PyTorch step us"),
                         ("speedup_vs_torch", "PyTorch / g.run()")):
            lo, hi = r[f + "_range"]
            print("  %-18s %10.2f  [%.2f, %.2f]" % (label, r[f], lo, hi))
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
