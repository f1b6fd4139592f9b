"""Convolution, pooling and normalization ops against PyTorch on random
shapes and attributes: each case is a small graph (the op, then a sum or a
seeded output) run through `gradc run` and through PyTorch; outputs,
gradients and grad_fn names must agree."""

import argparse
import math
import random
import sys

import gradc_torch as gt


def f32(x):
    return float(gt.torch.tensor(x, dtype=gt.torch.float32))


class Case:
    def __init__(self, rng, dtype):
        self.rng, self.dtype = rng, dtype
        self.graph = {"name": "c", "inputs": [], "nodes": [], "outputs": []}
        self.values = {}

    def input(self, shape, grad=True):
        name = "x%d" % len(self.graph["inputs"])
        self.graph["inputs"].append({"name": name, "dtype": self.dtype, "shape": shape,
                                     "requires_grad": grad})
        n = 1
        for d in shape:
            n *= d
        self.values[name] = {"shape": shape, "data": [f32(self.rng.gauss(0, 1)) for _ in range(n)]}
        return name

    def node(self, op, inputs, attrs):
        name = "n%d" % len(self.graph["nodes"])
        self.graph["nodes"].append({"name": name, "op": op, "inputs": inputs, "attrs": attrs})
        self.graph["outputs"].append(name)
        return name


def int_or_pair(rng, lo, hi):
    if rng.random() < 0.5:
        return rng.randint(lo, hi)
    return [rng.randint(lo, hi), rng.randint(lo, hi)]


def pair(v):
    return v if isinstance(v, list) else [v, v]


def conv2d_case(c):
    r = c.rng
    groups = r.choice([1, 1, 2, 3])
    cin, cout = groups * r.randint(1, 3), groups * r.randint(1, 3)
    k = [r.randint(1, 4), r.randint(1, 4)]
    attrs = {}
    if r.random() < 0.6:
        attrs["stride"] = int_or_pair(r, 1, 3)
    if r.random() < 0.5:
        attrs["dilation"] = int_or_pair(r, 1, 2)
    mode = r.random()
    if mode < 0.2:
        attrs["padding"] = "same"
        attrs.pop("stride", None)
    elif mode < 0.3:
        attrs["padding"] = "valid"
    elif mode < 0.8:
        attrs["padding"] = int_or_pair(r, 0, 2)
    if groups != 1 or r.random() < 0.3:
        attrs["groups"] = groups
    d, p = pair(attrs.get("dilation", 1)), attrs.get("padding", 0)
    p = [0, 0] if isinstance(p, str) else pair(p)
    h = max(1, d[0] * (k[0] - 1) + 1 - 2 * p[0]) + r.randint(0, 5)
    w = max(1, d[1] * (k[1] - 1) + 1 - 2 * p[1]) + r.randint(0, 5)
    x = c.input([r.randint(1, 3), cin, h, w])
    wt = c.input([cout, cin // groups] + k)
    ins = [x, wt] + ([c.input([cout])] if r.random() < 0.6 else [])
    c.node("conv2d", ins, attrs)


def conv2d_large_case(c):
    """A convolution whose column matrix exceeds the 128 KiB the GEMM form
    keeps on the stack, so the column matrix and the weight-gradient
    partials go on the heap (forward and both backward convolutions). The
    direct loop nests run only for a splat operand (a convolution whose
    result is summed: its gradient is one value) or a column matrix over
    64 MiB (codegen/ConvEmitter.h)."""
    r = c.rng
    groups = r.choice([1, 2])
    attrs = {"groups": groups, "padding": r.choice([0, 1, "same"])}
    if attrs["padding"] != "same" and r.random() < 0.5:
        attrs["stride"] = 2
    if r.random() < 0.3:
        attrs["dilation"] = 2
    # 32 * 3 * 3 rows of at least 14 * 14 columns: over 128 KiB in f32.
    x = c.input([2, 32 * groups, 28, 28])
    w = c.input([8, 32, 3, 3])
    c.node("conv2d", [x, w, c.input([8])], attrs)


def conv1d_case(c):
    r = c.rng
    groups = r.choice([1, 1, 2])
    cin, cout, k = groups * r.randint(1, 3), groups * r.randint(1, 3), r.randint(1, 4)
    attrs = {}
    if r.random() < 0.5:
        attrs["stride"] = r.choice([r.randint(1, 3), [r.randint(1, 3)]])
    if r.random() < 0.5:
        attrs["dilation"] = r.randint(1, 2)
    mode = r.random()
    if mode < 0.25:
        attrs["padding"] = "same"
        attrs.pop("stride", None)
    elif mode < 0.7:
        attrs["padding"] = r.randint(0, 2)
    if groups != 1:
        attrs["groups"] = groups
    d = attrs.get("dilation", 1)
    p = attrs.get("padding", 0)
    p = 0 if isinstance(p, str) else p
    length = max(1, d * (k - 1) + 1 - 2 * p) + r.randint(0, 6)
    ins = [c.input([r.randint(1, 3), cin, length]), c.input([cout, cin // groups, k])]
    if r.random() < 0.6:
        ins.append(c.input([cout]))
    c.node("conv1d", ins, attrs)


def pool_case(c, op):
    r = c.rng
    k = int_or_pair(r, 1, 3)
    kp = pair(k)
    attrs = {"kernel_size": k}
    if r.random() < 0.6:
        attrs["stride"] = int_or_pair(r, 1, 3)
    if r.random() < 0.5:
        attrs["padding"] = [r.randint(0, kp[0] // 2), r.randint(0, kp[1] // 2)]
    if op == "max_pool2d" and r.random() < 0.4:
        attrs["dilation"] = int_or_pair(r, 1, 2)
    if r.random() < 0.4:
        attrs["ceil_mode"] = True
    if op == "avg_pool2d" and r.random() < 0.5:
        attrs["count_include_pad"] = False
    d = pair(attrs.get("dilation", 1))
    h = d[0] * (kp[0] - 1) + 1 + r.randint(0, 5)
    w = d[1] * (kp[1] - 1) + 1 + r.randint(0, 5)
    x = c.input([r.randint(1, 2), r.randint(1, 3), h, w])
    c.node(op, [x], attrs)


def adaptive_case(c):
    r = c.rng
    h, w = r.randint(1, 9), r.randint(1, 9)
    x = c.input([r.randint(1, 2), r.randint(1, 3), h, w])
    c.node("adaptive_avg_pool2d", [x], {"output_size": int_or_pair(r, 1, 5)})


def layer_norm_case(c):
    r = c.rng
    shape = [r.randint(1, 4) for _ in range(r.randint(1, 4))]
    k = r.randint(1, len(shape))
    ns = shape[len(shape) - k:]
    attrs = {"normalized_shape": ns if len(ns) > 1 or r.random() < 0.5 else ns[0]}
    if r.random() < 0.3:
        attrs["eps"] = 1e-3
    ins = [c.input(shape)]
    n = r.randint(0, 2)
    ins += [c.input(ns) for _ in range(n)]
    c.node("layer_norm", ins, attrs)


def group_norm_case(c):
    r = c.rng
    groups = r.randint(1, 3)
    shape = [r.randint(1, 3), groups * r.randint(1, 3)] + [r.randint(1, 4) for _ in range(r.randint(0, 2))]
    if shape[0] * (shape[1] // groups) * math.prod(shape[2:]) == 1:
        shape.append(2)  # PyTorch needs more than one value per group
    attrs = {"num_groups": groups}
    if r.random() < 0.3:
        attrs["eps"] = 1e-3
    ins = [c.input(shape)] + [c.input([shape[1]]) for _ in range(r.randint(0, 2))]
    c.node("group_norm", ins, attrs)


CASES = {"conv2d": conv2d_case,
         "conv2d_large": conv2d_large_case,
         "group_norm": group_norm_case,
         "conv1d": conv1d_case,
         "layer_norm": layer_norm_case,
         "max_pool2d": lambda c: pool_case(c, "max_pool2d"),
         "avg_pool2d": lambda c: pool_case(c, "avg_pool2d"),
         "adaptive_avg_pool2d": adaptive_case}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gradc", required=True)
    ap.add_argument("--dtype", choices=["f32", "f64"], required=True)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rtol = 1e-4 if args.dtype == "f32" else 1e-9
    failures = 0
    for op, build in sorted(CASES.items()):
        count = args.count if op != "conv2d_large" else min(args.count, 4)
        for i in range(count):
            c = Case(rng, args.dtype)
            build(c)
            seeds = {}
            outs, _, _ = gt.run_torch(c.graph, c.values, {}, [])
            for o, t in outs.items():
                seeds[o] = {"shape": list(t.shape),
                            "data": [f32(rng.gauss(0, 1)) for _ in range(t.numel())]}
            try:
                errors = gt.check_graph(args.gradc, c.graph, c.values, seeds, rtol)
            except RuntimeError as e:
                errors = [str(e)]
            if errors:
                failures += 1
                print("%s case %d FAILED: %s" % (op, i, c.graph["nodes"]))
                for e in errors[:5]:
                    print("   ", e)
        print("%s: %d random cases (%s)" % (op, count, args.dtype))
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
