#!/usr/bin/python3
"""Replays the mlp example's training in PyTorch and compares the losses.

Runs `mlp --dump DIR` (784-512-512-10 by default), which writes its initial
parameters and every micro-batch; trains the same network in PyTorch from
the same parameters on the same micro-batches with the same gradient
accumulation and SGD step, and checks that the first N losses agree within
1e-4 relative. Exit status 0 on agreement, 1 otherwise, 77 without PyTorch.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    print("PyTorch is not installed for", sys.executable, "- skipping")
    sys.exit(77)


def load(path, dtype, shape):
    return torch.from_numpy(np.fromfile(path, dtype=dtype).reshape(shape).copy())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlp", required=True, help="the mlp example binary")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("mlp_args", nargs="*", help="extra options for mlp")
    args = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as d:
        cmd = [args.mlp, "--steps", str(args.steps), "--dump", d] + args.mlp_args
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            print(p.stdout, p.stderr)
            return 1
        print(p.stdout.splitlines()[0])
        m = json.load(open(os.path.join(d, "manifest.json")))
        fdt, tdt = (np.float64, torch.float64) if m["dtype"] == "f64" else (np.float32, torch.float32)
        params = {}
        for spec in m["params"]:
            t = load(os.path.join(d, "init_%s.bin" % spec["name"]), fdt, spec["shape"])
            params[spec["name"]] = t.requires_grad_(True)
        mb = m["batch"] // m["micro"]
        layers = m["layers"]
        losses = []
        for step in range(m["steps"]):
            total = 0.0
            for k in range(m["micro"]):
                base = os.path.join(d, "step%d_micro%d" % (step, k))
                x = load(base + "_x.bin", fdt, [mb, m["in"]])
                t = load(base + "_t.bin", np.int64, [mb])
                h = x
                for l in range(layers + 1):
                    h = h @ params["W%d" % l] + params["b%d" % l]
                    if l < layers:
                        h = torch.relu(h)
                loss = F.cross_entropy(h, t)
                loss.backward()  # .grad accumulates over the micro-batches
                total += loss.item() / m["micro"]
            with torch.no_grad():
                for p_ in params.values():
                    p_ -= m["lr"] * p_.grad / m["micro"]
                    p_.grad = None
            losses.append(total)
    ours = m["losses"]
    worst = 0.0
    print("step  gradc        PyTorch      rel diff")
    for i, (a, b) in enumerate(zip(ours, losses)):
        rel = abs(a - b) / abs(b)
        worst = max(worst, rel)
        print("%4d  %.9f  %.9f  %.2e" % (i, a, b, rel))
    ok = worst <= args.rtol and len(ours) == len(losses) == args.steps
    print("worst relative difference %.3e (tolerance %.0e): %s; loss %.4f -> %.4f"
          % (worst, args.rtol, "OK" if ok else "FAILED", ours[0], ours[-1]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
