"""One training step of the example models, gradc against PyTorch in one run
(docs/performance.md, "Model training steps").

For examples/cnn (LeNet-5, batch 64, SGD with momentum) and examples/gpt
(2 blocks, width 128, 4 heads, context 64, batch 16, AdamW), at each thread
count, alternating --repeat times:
  gradc    the example binary's mean training step (forward, backward,
           optimizer on the host), GRADC_NUM_THREADS threads, and its peak
           RSS
  torch    the same step in PyTorch eager (the example's compare_torch.py
           model, torch.optim.SGD / AdamW, the same initial parameters and
           batches), torch.set_num_threads(threads) and OPENBLAS_NUM_THREADS
           =threads, in a process of its own, mean over the same steps, and
           its peak RSS
and prints medians, spreads and the ratio torch / gradc. Run from the
source tree after building:

  /usr/bin/python3 bench/model_steps.py [--threads 1,2] [--repeat 3] [--json]

For a measurement shielded from other load run it under `chrt -f 50`; give
PyTorch OMP_WAIT_POLICY=PASSIVE and OPENBLAS_THREAD_TIMEOUT=18 on two
threads (--omp-passive), or its idle threads spin and slow it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TORCH_STEP = r'''
import json, os, resource, sys, time
sys.path.insert(0, sys.argv[1])
import compare_torch as ct
import numpy as np, torch, torch.nn.functional as F
model, d, threads = sys.argv[2], sys.argv[3], int(sys.argv[4])
torch.set_num_threads(threads)
m = json.load(open(os.path.join(d, "manifest.json")))
p = {s["name"]: ct.load(os.path.join(d, "init_%s.bin" % s["name"]), np.float32, s["shape"]).requires_grad_(True)
     for s in m["params"]}
if model == "cnn":
    opt = torch.optim.SGD(list(p.values()), lr=m["lr"], momentum=m["momentum"])
else:
    opt = torch.optim.AdamW(list(p.values()), lr=m["lr"], betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=m["weight_decay"])
batches = []
for step in range(m["steps"]):
    base = os.path.join(d, "step%d" % step)
    if model == "cnn":
        batches.append((ct.load(base + "_x.bin", np.float32, [m["batch"], 1, 28, 28]),
                        ct.load(base + "_t.bin", np.int64, [m["batch"]])))
    else:
        b, t = m["batch"], m["block"]
        batches.append((ct.load(base + "_idx.bin", np.int64, [b, t]),
                        ct.load(base + "_targets.bin", np.int64, [b, t])))
total = 0.0
for x, t in batches:
    t0 = time.perf_counter()
    opt.zero_grad()
    if model == "cnn":
        loss = F.cross_entropy(ct.forward(p, x), t)
    else:
        logits = ct.forward(p, x, m)
        loss = F.cross_entropy(logits.reshape(-1, m["vocab"]), t.reshape(-1))
    loss.backward()
    opt.step()
    total += time.perf_counter() - t0
print(json.dumps({"step_ms": 1e3 * total / len(batches),
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def run_gradc(binary, steps, threads, dump=None):
    env = dict(os.environ, GRADC_NUM_THREADS=str(threads))
    cmd = [binary, "--steps", str(steps)] + (["--dump", dump] if dump else [])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out, err = p.communicate()
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), err))
    ms = None
    for line in out.splitlines():
        if line.startswith("mean training step"):
            ms = float(line.split(":")[1].split()[0])
    return ms


def peak_rss_mib(binary, steps, threads):
    """Peak RSS of one run of the example, from wait4's resource usage."""
    env = dict(os.environ, GRADC_NUM_THREADS=str(threads))
    pid = os.posix_spawn(binary, [binary, "--steps", str(steps)], env,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise RuntimeError("%s failed" % binary)
    return usage.ru_maxrss / 1024


def run_torch(model, data, threads, passive):
    env = dict(os.environ)
    # torch.set_num_threads() sizes PyTorch's own pool, not the OpenBLAS that
    # its matrix products call: left alone, OpenBLAS takes every core, and
    # the "one thread" PyTorch step ran its GEMMs on two.
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    if passive:
        # Idle OpenMP and OpenBLAS threads sleep instead of spinning (gradc's
        # runtime sets the same OpenBLAS timeout for itself).
        env["OMP_WAIT_POLICY"] = "PASSIVE"
        env.setdefault("OPENBLAS_THREAD_TIMEOUT", "18")
    p = subprocess.run([sys.executable, "-c", TORCH_STEP,
                        os.path.join(ROOT, "examples", model), model, data, str(threads)],
                       capture_output=True, text=True, env=env, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default="cnn,gpt")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--omp-passive", action="store_true",
                    help="PyTorch's idle OpenMP and OpenBLAS threads sleep")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    results = []
    for model in a.models.split(","):
        binary = os.path.join(a.build, "bin", model)
        with tempfile.TemporaryDirectory() as d:
            run_gradc(binary, a.steps, 1, dump=d)  # initial parameters and batches
            for threads in (int(t) for t in a.threads.split(",")):
                g, t, t_rss = [], [], []
                g_rss = peak_rss_mib(binary, a.steps, threads)
                for _ in range(a.repeat):
                    g.append(run_gradc(binary, a.steps, threads))
                    r = run_torch(model, d, threads, a.omp_passive)
                    t.append(r["step_ms"])
                    t_rss.append(r["peak_rss_mib"])
                results.append({
                    "model": model, "threads": threads,
                    "gradc_ms": {"median": statistics.median(g), "min": min(g), "max": max(g)},
                    "torch_ms": {"median": statistics.median(t), "min": min(t), "max": max(t)},
                    "torch_over_gradc": statistics.median(t) / statistics.median(g),
                    "gradc_peak_rss_mib": g_rss,
                    "torch_peak_rss_mib": max(t_rss)})
    if a.json:
        print(json.dumps(results, indent=1))
        return
    for r in results:
        g, t = r["gradc_ms"], r["torch_ms"]
        rss = "%.0f" % r["gradc_peak_rss_mib"]
        print("%-4s %d thread(s): gradc %.2f ms [%.2f-%.2f], PyTorch %.2f ms [%.2f-%.2f], "
              "PyTorch/gradc %.2fx; peak RSS gradc %s MiB, PyTorch %.0f MiB"
              % (r["model"], r["threads"], g["median"], g["min"], g["max"], t["median"],
                 t["min"], t["max"], r["torch_over_gradc"], rss, r["torch_peak_rss_mib"]))


if __name__ == "__main__":
    main()
