"""The losses of issue 13 (nll_loss, cross_entropy with weights and
label_smoothing, l1_loss, smooth_l1_loss, huber_loss,
binary_cross_entropy, binary_cross_entropy_with_logits), batch_norm and
dropout against PyTorch on random shapes and attributes.

Each loss case is a one-op graph run through `gradc run` and through
PyTorch: outputs, gradients and grad_fn names (in the IR dump and as
`gradc run --format torch` prints them) must agree; a composite's result
carries the name of PyTorch's fused node. batch_norm also compares the running statistics
gradc returns as NAME.running_mean / NAME.running_var with PyTorch's
in-place update. dropout's mask is gradc's own draw, so its checks are of
properties: the fraction dropped, the scale, the backward's mask, and
reproducibility. nn.BatchNorm's momentum=None (refused by gradc) is
checked against its documented replacement: momentum=1.0 and averaging on
the host."""

import argparse
import math
import random
import sys
import tempfile
import warnings

import gradc_torch as gt

torch, F = gt.torch, gt.F

def f32(x):
    return float(torch.tensor(x, dtype=torch.float32))


class Case:
    def __init__(self, rng, dtype):
        self.rng, self.dtype = rng, dtype
        self.graph = {"name": "c", "inputs": [], "nodes": [], "outputs": []}
        self.values = {}

    def input(self, shape, grad=True, lo=None, hi=None, dtype=None):
        name = "x%d" % len(self.graph["inputs"])
        self.graph["inputs"].append({"name": name, "dtype": dtype or self.dtype,
                                     "shape": shape, "requires_grad": grad})
        n = 1
        for d in shape:
            n *= d
        if lo is None:
            data = [f32(self.rng.gauss(0, 1)) for _ in range(n)]
        else:
            data = [f32(self.rng.uniform(lo, hi)) for _ in range(n)]
        self.values[name] = {"shape": shape, "data": data}
        return name

    def node(self, op, inputs, attrs, output=True):
        name = "n%d" % len(self.graph["nodes"])
        self.graph["nodes"].append({"name": name, "op": op, "inputs": inputs, "attrs": attrs})
        if output:
            self.graph["outputs"].append(name)
        return name


def shape(rng, lo=0, hi=3):
    return [rng.randint(1, 4) for _ in range(rng.randint(lo, hi))]


def broadcastable(rng, full):
    s = list(full[rng.randint(0, len(full)):]) if full else []
    return [1 if rng.random() < 0.3 else d for d in s]


def reduction(rng, attrs):
    r = rng.choice(["mean", "sum", "none", None])
    if r:
        attrs["reduction"] = r
    return attrs


def regression_case(c, op, key):
    r = c.rng
    s = shape(r)
    b = s if r.random() < 0.5 else broadcastable(r, s)
    attrs = reduction(r, {})
    if key and r.random() < 0.7:
        attrs[key] = r.choice([0.3, 0.5, 1.0, 2.0] + ([0.0] if key == "beta" else []))
    c.node(op, [c.input(s), c.input(b)], attrs)


def bce_case(c):
    r = c.rng
    s = shape(r)
    ins = [c.input(s, lo=0.02, hi=0.98), c.input(s, grad=False, lo=0.0, hi=1.0)]
    if r.random() < 0.5:
        # PyTorch 1.13 has no gradient for binary_cross_entropy's weight.
        ins.append(c.input(broadcastable(r, s), grad=False, lo=0.5, hi=2.0))
    c.node("binary_cross_entropy", ins, reduction(r, {}))


def bce_logits_case(c):
    r = c.rng
    s = shape(r)
    ins = [c.input(s), c.input(s, lo=0.0, hi=1.0)]
    form = r.randint(0, 3)
    # PyTorch 1.13 differentiates neither weight nor pos_weight.
    ins.append(c.input(broadcastable(r, s), grad=False, lo=0.5, hi=2.0) if form & 1 else None)
    if form & 2:
        ins.append(c.input(broadcastable(r, s), grad=False, lo=0.5, hi=3.0))
    while ins[-1] is None:
        ins.pop()
    c.node("binary_cross_entropy_with_logits", ins, reduction(r, {}))


def batch_norm_case(c):
    r = c.rng
    n, ch = r.randint(2, 5), r.randint(1, 4)
    s = [n, ch] + [r.randint(1, 4) for _ in range(r.choice([0, 1, 2]))]
    training = r.random() < 0.75
    running = not training or r.random() < 0.7
    ins = [c.input(s)]
    ins += [c.input([ch], grad=False), c.input([ch], grad=False, lo=0.5, hi=2.0)] \
        if running else [None, None]
    affine = r.randint(0, 3)
    ins.append(c.input([ch]) if affine & 1 else None)
    if affine & 2:
        ins.append(c.input([ch]))
    while ins[-1] is None:
        ins.pop()
    attrs = {"training": training}
    if r.random() < 0.5:
        attrs["momentum"] = r.choice([0.05, 0.3])
    if r.random() < 0.5:
        attrs["eps"] = r.choice([1e-3, 1e-6])
    c.node("batch_norm", ins, attrs)
    return training and running


def running_stats_errors(c, rtol):
    """gradc's NAME.running_mean/var against PyTorch's in-place update."""
    node = c.graph["nodes"][0]
    name, ins, k = node["name"], node["inputs"], node["attrs"]
    graph = dict(c.graph)
    graph["outputs"] = [name + ".running_mean", name + ".running_var"]
    def tensor(n):
        v = c.values[n]
        return torch.tensor(v["data"], dtype=torch.float64).reshape(v["shape"]).to(gt.DTYPES[c.dtype])
    args = [tensor(n) if n else None for n in ins] + [None] * (5 - len(ins))
    F.batch_norm(*args, training=True, momentum=k.get("momentum", 0.1), eps=k.get("eps", 1e-5))
    with tempfile.TemporaryDirectory() as d:
        res = gt.run_gradc(GRADC, graph, c.values, {}, [], d)
    errors = []
    for key, want in (("running_mean", args[1]), ("running_var", args[2])):
        e = gt.compare(key, res["outputs"][name + "." + key], want, rtol)
        if e:
            errors.append(e)
    return errors


def cumulative_average_errors(dtype, rtol):
    """nn.BatchNorm's momentum=None (a cumulative average of the batch
    statistics, factor 1 / num_batches_tracked) is refused by gradc;
    docs/ops.md says to run with momentum=1.0, whose NAME.running_mean/var
    are the batch's statistics, and average them on the host. That must
    give PyTorch's running statistics."""
    rng = random.Random(5)
    shape, ch = [5, 3, 2], 3
    graph = {"name": "bn", "inputs": [
        {"name": "x", "dtype": dtype, "shape": shape, "requires_grad": True},
        {"name": "rm", "dtype": dtype, "shape": [ch]},
        {"name": "rv", "dtype": dtype, "shape": [ch]}],
        "nodes": [{"name": "bn", "op": "batch_norm", "inputs": ["x", "rm", "rv"],
                   "attrs": {"training": True, "momentum": 1.0}}],
        "outputs": ["bn.running_mean", "bn.running_var"]}
    module = torch.nn.BatchNorm1d(ch, momentum=None, affine=False).to(gt.DTYPES[dtype])
    module.train()
    mean, var = [0.0] * ch, [1.0] * ch
    for k in range(1, 4):
        data = [f32(rng.gauss(k, 1 + k)) for _ in range(30)]
        module(torch.tensor(data, dtype=torch.float64).reshape(shape).to(gt.DTYPES[dtype]))
        values = {"x": {"shape": shape, "data": data},
                  "rm": {"shape": [ch], "data": [0.0] * ch},
                  "rv": {"shape": [ch], "data": [1.0] * ch}}
        with tempfile.TemporaryDirectory() as d:
            res = gt.run_gradc(GRADC, graph, values, {}, [], d)
        bm = res["outputs"]["bn.running_mean"]["data"]
        bv = res["outputs"]["bn.running_var"]["data"]
        mean = [m + (b - m) / k for m, b in zip(mean, bm)]
        var = [v + (b - v) / k for v, b in zip(var, bv)]
    errors = []
    for key, got, want in (("running_mean", mean, module.running_mean),
                           ("running_var", var, module.running_var)):
        e = gt.compare("momentum=None by host averaging: " + key,
                       {"shape": [ch], "data": got}, want, rtol)
        if e:
            errors.append(e)
    return errors


def dropout_checks(dtype):
    """Mask fraction, scale, backward mask, p = 0, training = false, seeds."""
    errors = []
    n = 200 * 500
    def run(attrs, inputs=("x",), seed_value=None, seeds=True):
        graph = {"name": "d", "inputs": [{"name": "x", "dtype": dtype, "shape": [200, 500],
                                          "requires_grad": True, "init": "ones"}],
                 "nodes": [{"name": "y", "op": "dropout", "inputs": list(inputs), "attrs": attrs}],
                 "outputs": ["y"]}
        values = {"x": {"shape": [200, 500], "data": [1.0] * n}}
        if seed_value is not None:
            graph["inputs"].append({"name": "s", "dtype": "i64", "shape": []})
            values["s"] = {"shape": [], "data": [seed_value]}
        g = {"y": {"shape": [200, 500], "data": [float(i % 7 + 1) for i in range(n)]}}
        with tempfile.TemporaryDirectory() as d:
            res = gt.run_gradc(GRADC, graph, values, g if seeds else {}, ["y"] if seeds else [], d)
        return res["outputs"]["y"]["data"], res["grads"]["x"]["data"] if seeds else None
    for p in (0.1, 0.5, 0.8):
        y, gx = run({"p": p, "seed": 11})
        zeros = sum(1 for v in y if v == 0)
        sigma = math.sqrt(n * p * (1 - p))
        if abs(zeros - n * p) > 5 * sigma:
            errors.append("dropout p=%g: %d of %d zeroed, expected %g +- %g" % (p, zeros, n, n * p, 5 * sigma))
        scale = f32(1 / (1 - p)) if dtype == "f32" else 1 / (1 - p)
        bad = [v for v in y if v != 0 and abs(v - scale) > 1e-6 * scale]
        if bad:
            errors.append("dropout p=%g: kept value %r, expected %r" % (p, bad[0], scale))
        for i in range(n):
            want = 0.0 if y[i] == 0 else float(i % 7 + 1) * scale
            if abs(gx[i] - want) > 1e-5 * abs(want):
                errors.append("dropout p=%g: grad[%d] = %r, expected %r (the forward's mask)" % (p, i, gx[i], want))
                break
        y2, _ = run({"p": p, "seed": 11}, seeds=False)
        if y2 != y:
            errors.append("dropout p=%g: the same seed gave a different result" % p)
        y3, _ = run({"p": p, "seed": 12}, seeds=False)
        if y3 == y:
            errors.append("dropout p=%g: seeds 11 and 12 gave the same mask" % p)
    for attrs in ({"p": 0.0}, {"p": 0.6, "training": False}):
        y, gx = run(attrs)
        if any(v != 1.0 for v in y) or any(abs(v - float(i % 7 + 1)) > 0 for i, v in enumerate(gx)):
            errors.append("dropout %s is not the identity" % attrs)
    y, _ = run({"p": 1.0}, seeds=False)
    if any(v != 0 for v in y):
        errors.append("dropout p=1 is not all zeros")
    # A run-time seed: different values, different masks; same value, same mask.
    ya, _ = run({"p": 0.5}, inputs=("x", "s"), seed_value=1, seeds=False)
    yb, _ = run({"p": 0.5}, inputs=("x", "s"), seed_value=2, seeds=False)
    yc, _ = run({"p": 0.5}, inputs=("x", "s"), seed_value=1, seeds=False)
    if ya == yb or ya != yc:
        errors.append("dropout: the run-time seed does not pick the mask")
    return errors


def class_case(c, op):
    """nll_loss or cross_entropy on [C], [N, C] or [N, C, d...] inputs,
    with class weights, ignore_index and (cross_entropy) label_smoothing."""
    r = c.rng
    rank, classes = r.randint(1, 4), r.randint(2, 5)
    s = [classes] if rank == 1 else [r.randint(1, 4), classes] + \
        [r.randint(1, 3) for _ in range(rank - 2)]
    ts = [] if rank == 1 else [s[0]] + s[2:]
    x = c.input(s)
    attrs = reduction(r, {})
    ignore = r.choice([-100, 1])
    if ignore != -100:
        attrs["ignore_index"] = ignore
    # Every position ignored makes a mean 0 / 0 in both systems: keep one.
    t = c.input(ts, grad=False, dtype="i64")
    data = [r.choice(list(range(classes)) + [ignore]) for _ in c.values[t]["data"]]
    if attrs.get("reduction", "mean") == "mean" and all(v == ignore for v in data):
        data[0] = 0 if ignore != 0 else 1
    c.values[t]["data"] = data
    ins = [x, t]
    if r.random() < 0.5:
        ins.append(c.input([classes], grad=False, lo=0.5, hi=2.0))
    if op == "nll_loss":
        lp = c.node("log_softmax", [x], {"dim": 0 if rank == 1 else 1}, output=False)
        ins[0] = lp
    elif r.random() < 0.7:
        attrs["label_smoothing"] = r.choice([0.0, 0.1, 0.3])
    c.node(op, ins, attrs)


BUILDERS = [
    ("nll_loss", lambda c: class_case(c, "nll_loss")),
    ("cross_entropy", lambda c: class_case(c, "cross_entropy")),
    ("l1_loss", lambda c: regression_case(c, "l1_loss", None)),
    ("smooth_l1_loss", lambda c: regression_case(c, "smooth_l1_loss", "beta")),
    ("huber_loss", lambda c: regression_case(c, "huber_loss", "delta")),
    ("binary_cross_entropy", bce_case),
    ("binary_cross_entropy_with_logits", bce_logits_case),
    ("batch_norm", batch_norm_case),
]

GRADC = None


def main():
    global GRADC
    ap = argparse.ArgumentParser()
    ap.add_argument("--gradc", required=True)
    ap.add_argument("--dtype", choices=["f32", "f64"], required=True)
    ap.add_argument("--count", type=int, default=10, help="cases per op")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    GRADC = args.gradc
    # Broadcast targets are part of the cases; PyTorch warns about them.
    warnings.filterwarnings("ignore", message="Using a target size")
    rng = random.Random(args.seed)
    rtol = 2e-4 if args.dtype == "f32" else 1e-9
    failures, done = 0, 0
    for op, build in BUILDERS:
        for _ in range(args.count):
            c = Case(rng, args.dtype)
            stats = build(c)
            outs, _, _ = gt.run_torch(c.graph, c.values, {}, [])
            seeds = {}
            for o, t in outs.items():
                if t.requires_grad and t.numel() != 1:
                    seeds[o] = {"shape": list(t.shape),
                                "data": [rng.gauss(0, 1) for _ in range(t.numel())]}
            try:
                errors = gt.check_graph(GRADC, c.graph, c.values, seeds, rtol,
                                        check_printed=True)
                if stats:
                    errors += running_stats_errors(c, rtol)
            except RuntimeError as e:
                errors = [str(e)]
            done += 1
            if errors:
                failures += 1
                print("%s case FAILED: %s" % (op, c.graph["nodes"][0]))
                for e in errors[:5]:
                    print("   ", e)
    errors = cumulative_average_errors(args.dtype, rtol)
    for e in errors:
        print("   ", e)
    failures += 1 if errors else 0
    errors = dropout_checks(args.dtype)
    for e in errors:
        print("   ", e)
    failures += 1 if errors else 0
    print("%s: %d loss/batch_norm cases compared with PyTorch, dropout checks %s; %d failed"
          % (args.dtype, done, "failed" if errors else "passed", failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
