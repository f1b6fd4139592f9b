"""What the examples' PyTorch replays (compare_torch.py) share.

An example run with `--dump DIR` writes its initial parameters and every
batch as raw little-endian arrays and describes them, with its losses, in
DIR/manifest.json. A replay trains the same model in PyTorch from those
files and compares the losses step by step.
"""

import json
import os
import subprocess
import tempfile

import numpy as np
import torch


def load(path, dtype, shape):
    """A raw array written by the example (examples/common/ExampleOptions.h
    writeRaw) as a tensor of `shape`."""
    return torch.from_numpy(np.fromfile(path, dtype=dtype).reshape(shape).copy())


class DumpedRun:
    """Runs `cmd` with `--dump` into a temporary folder that lives as long as
    the `with` block: `dir`, `manifest`, and `params()` for the initial
    parameters (leaf tensors that require grad, in manifest order)."""

    def __init__(self, cmd):
        self.cmd = cmd
        self.dir = None
        self.manifest = None

    def __enter__(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name
        p = subprocess.run(self.cmd + ["--dump", self.dir], capture_output=True, text=True)
        if p.returncode != 0:
            self._tmp.cleanup()
            raise RuntimeError("%s failed (%d):\n%s%s" % (self.cmd[0], p.returncode,
                                                          p.stdout, p.stderr))
        print(p.stdout.splitlines()[0])
        with open(os.path.join(self.dir, "manifest.json")) as f:
            self.manifest = json.load(f)
        return self

    def __exit__(self, *exc):
        self._tmp.cleanup()
        return False

    def path(self, name):
        """A file of the dump."""
        return os.path.join(self.dir, name)

    def params(self, dtype=np.float32):
        return {s["name"]: load(self.path("init_%s.bin" % s["name"]), dtype,
                                s["shape"]).requires_grad_(True)
                for s in self.manifest["params"]}


def compare_losses(ours, theirs, rtol, steps):
    """Prints the losses side by side; 0 when all `steps` agree within `rtol`
    (relative to PyTorch's), else 1."""
    worst = 0.0
    print("step  gradc        PyTorch      rel diff")
    for i, (a, b) in enumerate(zip(ours, theirs)):
        rel = abs(a - b) / abs(b)
        worst = max(worst, rel)
        print("%4d  %.9f  %.9f  %.2e" % (i, a, b, rel))
    ok = worst <= rtol and len(ours) == len(theirs) == steps
    print("worst relative difference %.3e (tolerance %.0e): %s; loss %.4f -> %.4f"
          % (worst, rtol, "OK" if ok else "FAILED", ours[0], ours[-1]))
    return 0 if ok else 1
