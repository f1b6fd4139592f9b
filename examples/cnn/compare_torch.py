#!/usr/bin/python3
"""Replays the cnn example's training in PyTorch and compares the losses.

Runs `cnn --dump DIR`, which writes its initial parameters and every batch;
trains the same LeNet-5-style network in PyTorch (F.conv2d, F.max_pool2d,
linear layers as x @ W + b, F.cross_entropy, torch.optim.SGD with the same
momentum) from the same parameters on the same batches, and checks that the
first N losses agree within 1e-4 relative. Exit status 0 on agreement, 1
otherwise, 77 without PyTorch.
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


def forward(p, x):
    h = F.max_pool2d(F.relu(F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding=2)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, p["conv2.weight"], p["conv2.bias"])), 2)
    h = h.reshape(h.shape[0], 400)
    h = F.relu(h @ p["fc1.weight"] + p["fc1.bias"])
    h = F.relu(h @ p["fc2.weight"] + p["fc2.bias"])
    return h @ p["fc3.weight"] + p["fc3.bias"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnn", required=True, help="the cnn example binary")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("cnn_args", nargs="*", help="extra options for cnn")
    args = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as d:
        cmd = [args.cnn, "--steps", str(args.steps), "--dump", d] + args.cnn_args
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            print(p.stdout, p.stderr)
            return 1
        print(p.stdout.splitlines()[0])
        m = json.load(open(os.path.join(d, "manifest.json")))
        params = {}
        for spec in m["params"]:
            t = load(os.path.join(d, "init_%s.bin" % spec["name"]), np.float32, spec["shape"])
            params[spec["name"]] = t.requires_grad_(True)
        opt = torch.optim.SGD(list(params.values()), lr=m["lr"], momentum=m["momentum"])
        b = m["batch"]
        losses = []
        for step in range(m["steps"]):
            base = os.path.join(d, "step%d" % step)
            x = load(base + "_x.bin", np.float32, [b, 1, 28, 28])
            t = load(base + "_t.bin", np.int64, [b])
            opt.zero_grad()
            loss = F.cross_entropy(forward(params, x), t)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    ours = m["losses"]
    worst = 0.0
    print("step  gradc        PyTorch      rel diff")
    for i, (a, b_) in enumerate(zip(ours, losses)):
        rel = abs(a - b_) / abs(b_)
        worst = max(worst, rel)
        print("%4d  %.9f  %.9f  %.2e" % (i, a, b_, rel))
    ok = worst <= args.rtol and len(ours) == len(losses) == args.steps
    print("worst relative difference %.3e (tolerance %.0e): %s; loss %.4f -> %.4f"
          % (worst, args.rtol, "OK" if ok else "FAILED", ours[0], ours[-1]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
