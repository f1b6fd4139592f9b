#!/usr/bin/python3
"""Replays the mlp example's training in PyTorch and compares the losses.

Runs `mlp --dump DIR` (784-512-512-10 by default), which writes its initial
parameters and every micro-batch; trains the same network in PyTorch from
the same parameters on the same micro-batches with the same gradient
accumulation and SGD step, and checks that the first N losses agree within
1e-4 relative. Exit status 0 on agreement, 1 otherwise, 77 without PyTorch.
"""

import argparse
import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    print("PyTorch is not installed for", sys.executable, "- skipping")
    sys.exit(77)


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from replay import DumpedRun, compare_losses, load  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlp", required=True, help="the mlp example binary")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("mlp_args", nargs="*", help="extra options for mlp")
    args = ap.parse_args()
    torch.set_num_threads(1)
    with DumpedRun([args.mlp, "--steps", str(args.steps)] + args.mlp_args) as run:
        m = run.manifest
        fdt = np.float64 if m["dtype"] == "f64" else np.float32
        params = run.params(fdt)
        mb = m["batch"] // m["micro"]
        layers = m["layers"]
        losses = []
        for step in range(m["steps"]):
            total = 0.0
            for k in range(m["micro"]):
                base = run.path("step%d_micro%d" % (step, k))
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
    return compare_losses(m["losses"], losses, args.rtol, args.steps)


if __name__ == "__main__":
    sys.exit(main())
