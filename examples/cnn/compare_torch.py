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
    with DumpedRun([args.cnn, "--steps", str(args.steps)] + args.cnn_args) as run:
        m = run.manifest
        params = run.params()
        opt = torch.optim.SGD(list(params.values()), lr=m["lr"], momentum=m["momentum"])
        b = m["batch"]
        losses = []
        for step in range(m["steps"]):
            base = run.path("step%d" % step)
            x = load(base + "_x.bin", np.float32, [b, 1, 28, 28])
            t = load(base + "_t.bin", np.int64, [b])
            opt.zero_grad()
            loss = F.cross_entropy(forward(params, x), t)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return compare_losses(m["losses"], losses, args.rtol, args.steps)


if __name__ == "__main__":
    sys.exit(main())
