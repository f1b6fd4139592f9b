#!/usr/bin/python3
"""Small classifier training steps with cross_entropy, through `gradc run
--format json` and through PyTorch: loss and every parameter gradient.

Each case is an MLP (1-3 layers, relu or tanh, optional bias) on a random
batch with integer labels (i64 or i32, some rows ignore_index), reduction
mean or sum, in f32 or f64.
Usage: classifier_steps.py --gradc PATH --count N --seed S
"""

import argparse
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradc_torch as gt  # noqa: E402


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def make_case(rng, dtype):
    n = rng.randint(1, 16)
    sizes = [rng.randint(2, 20)] + [rng.randint(2, 24) for _ in range(rng.randint(0, 2))] \
        + [rng.randint(2, 10)]
    act = rng.choice(["relu", "relu", "tanh"])
    bias = rng.random() < 0.8
    conv = f32 if dtype == "f32" else float
    g = {"name": "classifier", "inputs": [], "nodes": [], "outputs": ["loss"]}
    values = {}

    def inp(name, shape, grad, scale=1.0, dt=dtype):
        spec = {"name": name, "dtype": dt, "shape": shape}
        if grad:
            spec["requires_grad"] = True
        g["inputs"].append(spec)
        count = 1
        for d in shape:
            count *= d
        values[name] = {"shape": shape,
                        "data": [conv(rng.gauss(0, scale)) for _ in range(count)]}

    inp("x", [n, sizes[0]], False)
    ignore = rng.random() < 0.3
    tdt = rng.choice(["i64", "i32"])
    g["inputs"].append({"name": "t", "dtype": tdt, "shape": [n]})
    values["t"] = {"shape": [n], "data": [
        -100 if ignore and rng.random() < 0.2 else rng.randrange(sizes[-1]) for _ in range(n)]}
    h = "x"
    for layer in range(len(sizes) - 1):
        inp("W%d" % layer, [sizes[layer], sizes[layer + 1]], True, sizes[layer] ** -0.5)
        g["nodes"].append({"name": "z%d" % layer, "op": "matmul", "inputs": [h, "W%d" % layer]})
        h = "z%d" % layer
        if bias:
            inp("b%d" % layer, [sizes[layer + 1]], True, 0.1)
            g["nodes"].append({"name": "a%d" % layer, "op": "add", "inputs": [h, "b%d" % layer]})
            h = "a%d" % layer
        if layer < len(sizes) - 2:
            g["nodes"].append({"name": "h%d" % layer, "op": act, "inputs": [h]})
            h = "h%d" % layer
    red = rng.choice(["mean", "mean", "sum"])
    g["nodes"].append({"name": "loss", "op": "cross_entropy", "inputs": [h, "t"],
                       "attrs": {"reduction": red}})
    if all(v == -100 for v in values["t"]["data"]):
        values["t"]["data"][0] = 0  # keep the mean defined
    return g, values, "%s %s %s%s n=%d %s" % (dtype, "-".join(map(str, sizes)), act,
                                              "+bias" if bias else "", n, red)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gradc", required=True)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="write failing cases to this folder")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    failures = 0
    for i in range(args.count):
        for dtype in ("f64", "f32"):
            graph, values, label = make_case(rng, dtype)
            rtol = 2e-5 if dtype == "f32" else 1e-10
            try:
                errors = gt.check_graph(args.gradc, graph, values, {}, rtol)
            except RuntimeError as e:
                errors = [str(e)]
            if errors:
                failures += 1
                print("FAILED", label)
                for e in errors[:5]:
                    print("   ", e)
                if args.keep:
                    gt.keep_case(args.keep, "case%d_%s" % (i, dtype), graph, values, {})
    print("%d classifier steps (f32 and f64) compared with PyTorch, %d failed"
          % (2 * args.count, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
