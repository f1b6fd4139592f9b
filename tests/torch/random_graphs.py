#!/usr/bin/python3
"""Random graphs over gradc's whole op set, run through `gradc run --format
json` and through PyTorch; outputs, gradients and grad_fn names must agree.

Usage: random_graphs.py --gradc PATH --dtype f32|f64 --count N --seed S
Exit status 0 when every graph agrees, 1 otherwise, 77 without PyTorch.
"""

import argparse
import math
import random
import struct
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradc_torch as gt  # noqa: E402  (exits 77 without torch)
import torch  # noqa: E402


VIEW_OPS = {"select", "reshape", "transpose", "permute", "expand", "squeeze", "unsqueeze",
            "slice"}


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


class Gen:
    """Builds one random graph: a pool of values with known shapes; each
    step applies a random op to values from the pool."""

    def __init__(self, rng, dtype):
        self.rng, self.dtype = rng, dtype
        self.graph = {"name": "random", "inputs": [], "nodes": [], "outputs": []}
        self.values = {}      # name -> data for the inputs file
        self.pool = []        # (name, shape) of float values
        self.n = 0

    # --- values ---------------------------------------------------------
    def shape(self, lo=0, hi=3):
        return [self.rng.randint(1, 4) for _ in range(self.rng.randint(lo, hi))]

    def numbers(self, count):
        vals = [self.rng.gauss(0, 1) for _ in range(count)]
        return [f32(v) for v in vals] if self.dtype == "f32" else vals

    def input(self, shape, grad=True):
        name = "x%d" % len(self.graph["inputs"])
        spec = {"name": name, "dtype": self.dtype, "shape": shape}
        if grad:
            spec["requires_grad"] = True
        self.graph["inputs"].append(spec)
        self.values[name] = {"shape": shape, "data": self.numbers(math.prod(shape))}
        self.pool.append((name, shape))
        return name, shape

    def labels(self, shape, classes, ignore):
        name = "t%d" % len(self.graph["inputs"])
        dt = self.rng.choice(["i64", "i32"])
        self.graph["inputs"].append({"name": name, "dtype": dt, "shape": shape})
        data = [(-100 if ignore and self.rng.random() < 0.25 else self.rng.randrange(classes))
                for _ in range(math.prod(shape))]
        self.values[name] = {"shape": shape, "data": data}
        return name

    def node(self, op, inputs, attrs=None, shape=None, pool=True):
        name = "n%d" % self.n
        self.n += 1
        nd = {"name": name, "op": op, "inputs": inputs}
        if attrs:
            nd["attrs"] = attrs
        # no_grad on a few nodes. Not on view ops: PyTorch 1.13 marks a view
        # made under no_grad of a requires_grad tensor as requiring grad
        # (a leaf without grad_fn), while gradc follows DESIGN.md's rule
        # that nothing inside no_grad requires grad (docs/ops.md).
        if op not in VIEW_OPS and self.rng.random() < 0.04:
            nd["no_grad"] = True
        self.graph["nodes"].append(nd)
        if pool and shape is not None:
            self.pool.append((name, shape))
        return name, shape

    def pick(self, min_rank=0):
        cands = [v for v in self.pool if len(v[1]) >= min_rank]
        if not cands:
            return self.input(self.shape(max(min_rank, 1), 3))
        # Prefer recent values, so graphs grow deep as well as wide.
        return cands[-1 - min(int(self.rng.expovariate(0.5)), len(cands) - 1)]

    def broadcast_partner(self, shape):
        """Another value (or a new input) broadcastable with `shape`."""
        for name, s in reversed(self.pool):
            if s != shape and _bshape(s, shape) is not None and self.rng.random() < 0.4:
                return name, s
        drop = self.rng.randint(0, len(shape))
        s = [1 if self.rng.random() < 0.3 else d for d in shape[drop:]]
        return self.input(s)

    def positive(self, v):
        """A positive value made from v (for log, sqrt, pow bases, division)."""
        k = self.rng.randrange(3)
        if k == 0:
            a = self.node("abs", [v[0]], shape=v[1], pool=False)
            return self.node("add", [a[0], 0.5], shape=v[1], pool=False)
        if k == 1:
            s = self.node("sigmoid", [v[0]], shape=v[1], pool=False)
            return self.node("add", [s[0], 0.1], shape=v[1], pool=False)
        t = self.node("tanh", [v[0]], shape=v[1], pool=False)
        return self.node("exp", [t[0]], shape=v[1], pool=False)

    # --- ops ------------------------------------------------------------
    def step(self):
        r = self.rng
        kind = r.choice(["unary", "unary", "activation", "domain", "binary", "binary", "pow",
                         "where", "reduce", "reduce", "statistic", "shape", "shape", "matmul",
                         "softmax", "loss", "index"])
        getattr(self, "op_" + kind)()

    def op_unary(self):
        v = self.pick()
        op = self.rng.choice(["neg", "exp", "abs", "sin", "cos", "tanh", "sigmoid",
                              "relu", "sign", "detach", "square"])
        if op == "exp":
            v = self.node("tanh", [v[0]], shape=v[1], pool=False)
        self.node(op, [v[0]], shape=v[1])

    def op_activation(self):
        r = self.rng
        v = self.pick()
        op = r.choice(["gelu", "silu", "leaky_relu", "elu", "softplus", "erf",
                       "expm1", "clamp", "hardtanh"])
        attrs = {}
        if op == "gelu" and r.random() < 0.5:
            attrs["approximate"] = r.choice(["none", "tanh"])
        elif op == "leaky_relu" and r.random() < 0.5:
            attrs["negative_slope"] = r.choice([0.2, 0.05])
        elif op == "elu" and r.random() < 0.5:
            attrs["alpha"] = r.choice([0.5, 2.0])
        elif op == "softplus" and r.random() < 0.5:
            attrs["beta"], attrs["threshold"] = r.choice([(2.0, 20.0), (0.5, 1.5)])
        elif op == "clamp":
            attrs = r.choice([{"min": -0.3}, {"max": 0.4}, {"min": -0.6, "max": 0.7}])
        elif op == "hardtanh" and r.random() < 0.5:
            attrs = {"min_val": -0.5, "max_val": 0.8}
        if op == "expm1":
            v = self.node("tanh", [v[0]], shape=v[1], pool=False)
        self.node(op, [v[0]], attrs=attrs, shape=v[1])

    def op_domain(self):
        v = self.positive(self.pick())
        op = self.rng.choice(["log", "sqrt", "log1p", "rsqrt", "reciprocal"])
        self.node(op, [v[0]], shape=v[1])

    def op_binary(self):
        a = self.pick()
        op = self.rng.choice(["add", "sub", "mul", "div", "maximum", "minimum"])
        if self.rng.random() < 0.2:
            c = round(self.rng.uniform(-2, 2), 2) or 0.5
            if op == "div":
                p = self.positive(a)
                args = [a[0], c] if self.rng.random() < 0.5 else [c, p[0]]
            else:
                args = [a[0], c] if self.rng.random() < 0.5 else [c, a[0]]
            self.node(op, args, shape=a[1])
            return
        b = self.broadcast_partner(a[1])
        if op == "div":
            b = self.positive(b)
        args = [a[0], b[0]] if self.rng.random() < 0.5 or op == "div" else [b[0], a[0]]
        self.node(op, args, shape=_bshape(a[1], b[1]))

    def op_pow(self):
        r = self.rng
        v = self.pick()
        k = r.randrange(4)
        if k == 0:
            p = self.positive(v)
            self.node("pow", [p[0], r.choice([2, 3, 0.5, -1, 1.5, 0, -0.5])], shape=v[1])
        elif k == 1:
            self.node("pow", [v[0], r.choice([2, 3, 1])], shape=v[1])
        elif k == 2:
            e = self.node("tanh", [v[0]], shape=v[1], pool=False)
            self.node("pow", [r.choice([2, 0.5, 3]), e[0]], shape=v[1])
        else:
            b = self.broadcast_partner(v[1])
            p = self.positive(v)
            e = self.node("tanh", [b[0]], shape=b[1], pool=False)
            self.node("pow", [p[0], e[0]], shape=_bshape(v[1], b[1]))

    def op_where(self):
        a = self.pick()
        b = self.broadcast_partner(a[1])
        cmp = self.rng.choice(["lt", "le", "gt", "ge", "eq", "ne"])
        with_b = self.rng.random() < 0.7
        c = self.node(cmp, [a[0], b[0]] if with_b else [a[0], 0.0], pool=False)
        shapes = [_bshape(a[1], b[1]) if with_b else a[1]]
        x, y = (a, b) if self.rng.random() < 0.5 else (b, a)
        args = [c[0], x[0], y[0]]
        lit = self.rng.choice([1, 2]) if self.rng.random() < 0.25 else 0
        if lit:
            args[lit] = round(self.rng.uniform(-1, 1), 2)
        shapes += [v[1] for i, v in ((1, x), (2, y)) if i != lit]
        s = shapes[0]
        for t in shapes[1:]:
            s = _bshape(s, t)
        self.node("where", args, shape=s)

    def op_reduce(self):
        r = self.rng
        v = self.pick(1)
        rank = len(v[1])
        op = r.choice(["sum", "mean", "max", "min"])
        attrs = {}
        mode = r.randrange(4)
        keep = r.random() < 0.4
        if mode == 0:
            out = [1] * rank if keep and op in ("sum", "mean") else []
            if keep and op in ("sum", "mean"):
                attrs["keepdim"] = True
            self.node(op, [v[0]], attrs or None, shape=out)
            return
        if mode == 1 or op in ("max", "min") and r.random() < 0.5:
            dims = [r.randrange(rank)]
        else:
            dims = sorted(r.sample(range(rank), r.randint(1, rank)))
        out = [1 if i in dims else d for i, d in enumerate(v[1]) if keep or i not in dims]
        dims_attr = [d - rank if r.random() < 0.3 else d for d in dims]
        attrs["dim"] = dims_attr[0] if len(dims) == 1 and r.random() < 0.5 else dims_attr
        if keep:
            attrs["keepdim"] = True
        self.node(op, [v[0]], attrs, shape=out)

    def op_statistic(self):
        r = self.rng
        v = self.pick(1)
        rank = len(v[1])
        op = r.choice(["logsumexp", "var", "std", "norm", "argmax", "argmin"])
        keep = r.random() < 0.4
        attrs = {"keepdim": True} if keep else {}
        if op in ("argmax", "argmin") or op == "norm" and r.random() < 0.5:
            dims = [r.randrange(rank)] if op == "norm" or r.random() < 0.7 else None
        else:
            dims = sorted(r.sample(range(rank), r.randint(1, min(rank, 2 if op == "norm" else rank))))
        if op in ("var", "std") and r.random() < 0.3:
            dims = None
        if op in ("var", "std") and r.random() < 0.5:
            attrs["correction" if r.random() < 0.5 else "unbiased"] = r.choice([0, 1]) if "correction" not in attrs else 0
            if "unbiased" in attrs:
                attrs["unbiased"] = bool(attrs["unbiased"])
        count = 1
        for i, d in enumerate(v[1]):
            count *= d if dims is None or i in dims else 1
        if op in ("var", "std") and count < 2:
            # One element: N - correction may be 0, and PyTorch 1.13's
            # VarBackward0 returns a wrongly shaped gradient there.
            op = "norm"
            attrs.pop("correction", None)
            attrs.pop("unbiased", None)
            if dims is not None and len(dims) > 2:
                dims = None  # torch.norm takes at most two dims
        kept = [d for i, d in enumerate(v[1]) if dims is not None and i not in dims]
        if op in ("var", "std") and all(d == 1 for d in kept):
            # The runner seeds a one-element root with a scalar, which
            # PyTorch 1.13's VarBackward0 rejects for a [1, 1] result: no
            # keepdim where the result has one element.
            keep = False
            attrs.pop("keepdim", None)
        if dims is None:
            out = [1] * rank if keep else []
        else:
            attrs["dim"] = dims[0] if len(dims) == 1 and (op in ("argmax", "argmin") or r.random() < 0.5) else dims
            out = [1 if i in dims else d for i, d in enumerate(v[1]) if keep or i not in dims]
        if r.random() < 0.15:  # a masked_fill instead
            b = self.broadcast_partner(v[1])
            if _bshape(v[1], b[1]) == v[1]:
                m = self.node("gt", [b[0], 0.0], pool=False)
                self.node("masked_fill", [v[0], m[0]], {"value": r.choice([-1e9, 0.5, 0.0])}, shape=v[1])
                return
        if r.random() < 0.2:  # a running sum instead
            self.node("cumsum", [v[0]], {"dim": r.randrange(-rank, rank)}, shape=v[1])
            return
        if rank >= 2 and r.random() < 0.3:  # a mask instead
            op = r.choice(["triu", "tril"])
            attrs = {"diagonal": r.randint(-2, 2)} if r.random() < 0.6 else None
            self.node(op, [v[0]], attrs, shape=v[1])
            return
        if op in ("argmax", "argmin"):
            self.node(op, [v[0]], attrs or None, shape=out, pool=False)
            return
        self.node(op, [v[0]], attrs or None, shape=out)

    def op_shape(self):
        r = self.rng
        v = self.pick()
        s, rank = v[1], len(v[1])
        k = r.choice(["reshape", "transpose", "permute", "expand", "squeeze",
                      "unsqueeze", "concat", "slice"])
        if k in ("transpose", "permute", "concat", "slice") and rank == 0:
            k = "unsqueeze"
        if k == "reshape":
            n = math.prod(s)
            dims = []
            rest = n
            for f in (2, 3, 2):
                if rest % f == 0 and r.random() < 0.5:
                    dims.append(f)
                    rest //= f
            dims.append(rest)
            r.shuffle(dims)
            new = list(dims)
            if r.random() < 0.5:
                new[r.randrange(len(new))] = -1
            self.node("reshape", [v[0]], {"shape": new}, shape=dims)
        elif k == "transpose":
            d0, d1 = r.randrange(rank), r.randrange(rank)
            out = list(s)
            out[d0], out[d1] = out[d1], out[d0]
            self.node("transpose", [v[0]], {"dim0": d0 - rank * r.randint(0, 1), "dim1": d1},
                      shape=out)
        elif k == "permute":
            p = list(range(rank))
            r.shuffle(p)
            self.node("permute", [v[0]], {"dims": p}, shape=[s[i] for i in p])
        elif k == "expand":
            out = [r.randint(2, 3)] if r.random() < 0.5 else []
            tgt = list(out)
            for d in s:
                if d == 1:
                    e = r.randint(1, 3)
                    out.append(e)
                    tgt.append(e)
                else:
                    out.append(d)
                    tgt.append(-1 if r.random() < 0.5 else d)
            self.node("expand", [v[0]], {"shape": tgt}, shape=out)
        elif k == "squeeze":
            ones = [i for i, d in enumerate(s) if d == 1]
            if ones and r.random() < 0.5:
                d = r.choice(ones)
                self.node("squeeze", [v[0]], {"dim": d}, shape=s[:d] + s[d + 1:])
            else:
                self.node("squeeze", [v[0]], shape=[d for d in s if d != 1])
        elif k == "unsqueeze":
            d = r.randint(0, rank)
            self.node("unsqueeze", [v[0]], {"dim": d - (rank + 1) * r.randint(0, 1)},
                      shape=s[:d] + [1] + s[d:])
        elif k == "concat":
            d = r.randrange(rank)
            other = list(s)
            other[d] = r.randint(1, 3)
            o = self.input(other)
            parts = [v[0], o[0]] + ([v[0]] if r.random() < 0.3 else [])
            out = list(s)
            out[d] = s[d] * (len(parts) - 1) + other[d]
            self.node(r.choice(["concat", "cat"]), parts, {"dim": d}, shape=out)
        else:
            d = r.randrange(rank)
            n = s[d]
            start = r.randint(-n, n - 1)
            step = r.randint(1, 2)
            st = start + n if start < 0 else start
            ln = len(range(st, n, step))
            self.node("slice", [v[0]], {"dim": d, "start": start, "step": step},
                      shape=s[:d] + [ln] + s[d + 1:])

    def op_matmul(self):
        r = self.rng
        v = self.pick(1)
        s = v[1]
        k = s[-1]
        form = r.randrange(4)
        if form == 3 and len(s) <= 2:
            # w @ v: a (batched) matrix on the left of a vector or matrix.
            w = self.input([r.randint(1, 2)] * r.randint(0, 1) + [r.randint(1, 3), s[0]])
            self.node("matmul", [w[0], v[0]], shape=_matmul_shape(w[1], s))
            return
        if form == 0:
            w = self.input([k])
        elif form == 2:
            bdim = s[-3] if len(s) >= 3 and r.random() < 0.7 else 1
            w = self.input([bdim, k, r.randint(1, 3)])
        else:
            w = self.input([k, r.randint(1, 4)])
        self.node("matmul", [v[0], w[0]], shape=_matmul_shape(s, w[1]))

    INDEX_KINDS = ["embedding", "index_select", "gather", "select", "one_hot", "factory"]

    def op_index(self, kind=None):
        """embedding, index_select, gather, select, one_hot on random
        in-range indices (repeated ones make the backward sum), or a factory
        op; `kind` picks one of INDEX_KINDS, else it is drawn."""
        r = self.rng
        k = kind or r.choice(self.INDEX_KINDS)
        if k == "factory":  # a factory's values multiply or shift a value
            v = self.pick(1)
            f = r.choice(["zeros_like", "ones_like", "full", "arange"])
            if f in ("zeros_like", "ones_like"):
                c = self.node(f, [v[0]], shape=v[1], pool=False)
            elif f == "full":
                c = self.node("full", [], {"size": v[1], "fill_value": r.choice([0.5, -2.0]),
                                           "dtype": self.dtype}, shape=v[1], pool=False)
            else:
                n = v[1][-1]
                c = self.node("arange", [], {"start": 0.5, "end": 0.5 + 0.25 * n, "step": 0.25,
                                             "dtype": self.dtype}, shape=[n], pool=False)
            self.node(r.choice(["mul", "add"]), [v[0], c[0]], shape=v[1])
            return
        if k == "embedding":
            w = self.pick(2)
            if len(w[1]) != 2:
                w = self.input([r.randint(1, 5), r.randint(1, 4)])
            t = self.labels(self.shape(0, 2), w[1][0], False)
            attrs = None
            if r.random() < 0.4:  # padding_idx: that row gets no gradient
                attrs = {"padding_idx": r.randrange(-w[1][0], w[1][0])}
            self.node("embedding", [t, w[0]], attrs, shape=self.graph["inputs"][-1]["shape"] + [w[1][1]])
            return
        if k == "one_hot":
            c = r.randint(1, 5)
            t = self.labels(self.shape(0, 2), c, False)
            self.node("one_hot", [t], {"num_classes": c},
                      shape=self.graph["inputs"][-1]["shape"] + [c], pool=False)
            return
        v = self.pick(1)
        s, rank = v[1], len(v[1])
        d = r.randrange(rank)
        dim = d - rank * r.randint(0, 1)
        if k == "select":
            self.node("select", [v[0]], {"dim": dim, "index": r.randrange(-s[d], s[d])},
                      shape=s[:d] + s[d + 1:])
            return
        if k == "index_select":
            n = r.randint(0, 5)
            t = self.labels([n], s[d], False)
            self.node("index_select", [v[0], t], {"dim": dim}, shape=s[:d] + [n] + s[d + 1:])
            return
        shape = [r.randint(1, 5) if i == d else r.randint(1, s[i]) for i in range(rank)]
        t = self.labels(shape, s[d], False)
        self.node("gather", [v[0], t], {"dim": dim}, shape=shape)

    def op_softmax(self):
        v = self.pick(1)
        d = self.rng.randrange(len(v[1]))
        self.node(self.rng.choice(["softmax", "log_softmax"]), [v[0]],
                  {"dim": d - len(v[1]) * self.rng.randint(0, 1)}, shape=v[1])

    def op_loss(self):
        r = self.rng
        if r.random() < 0.6:
            v = self.pick(1)
            if len(v[1]) > 2:
                v = self.node("reshape", [v[0]], {"shape": [-1, v[1][-1]]},
                              shape=[math.prod(v[1][:-1]), v[1][-1]])
            s = v[1]
            if s[-1] < 2:
                w = self.input([s[-1], r.randint(2, 4)])
                v = self.node("matmul", [v[0], w[0]], shape=_matmul_shape(s, w[1]))
                s = v[1]
            attrs = {"reduction": r.choice(["mean", "mean", "sum", "none"])}
            if r.random() < 0.15:
                attrs["ignore_index"] = 0  # then class 0 rows are left out
                t = self.labels(s[:-1], s[-1], False)
            else:
                t = self.labels(s[:-1], s[-1], r.random() < 0.3)
            self.node("cross_entropy", [v[0], t], attrs,
                      shape=s[:-1] if attrs["reduction"] == "none" else [])
        else:
            a = self.pick()
            b = self.broadcast_partner(a[1]) if r.random() < 0.8 else (0.5, [])
            red = r.choice(["mean", "sum", "none"])
            self.node("mse_loss", [a[0], b[0]], {"reduction": red},
                      shape=_bshape(a[1], b[1]) if red == "none" else [])


def _bshape(a, b):
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and x != 1 and y != 1:
            return None
        out.append(max(x, y) if x != 0 and y != 0 else 0)
    return out[::-1]


def _matmul_shape(a, b):
    va, vb = len(a) == 1, len(b) == 1
    a2 = [1] + a if va else a
    b2 = b + [1] if vb else b
    batch = _bshape(a2[:-2], b2[:-2])
    out = batch + ([] if va else [a2[-2]]) + ([] if vb else [b2[-1]])
    return out


def make_case(rng, dtype):
    g = Gen(rng, dtype)
    g.input(g.shape(1, 3))
    if rng.random() < 0.5:
        g.input(g.shape(0, 2))
    for _ in range(rng.randint(3, 9)):
        g.step()
    names = [n["name"] for n in g.graph["nodes"]]
    outs = [names[-1]] + rng.sample(names[:-1], min(len(names) - 1, rng.randint(0, 2)))
    g.graph["outputs"] = list(dict.fromkeys(outs))
    # A scalar objective half of the time, as a training step has.
    if rng.random() < 0.5:
        g.node("sum", [names[-1]], None, shape=[])
        g.graph["outputs"].append(g.graph["nodes"][-1]["name"])
    return g.graph, g.values


def tame(outs, grads):
    """Rejects graphs whose values are non-finite or huge (random chains of
    exp, pow and division); the comparison is about the ops, not overflow."""
    for t in list(outs.values()) + list(grads.values()):
        if t.dtype in (torch.float32, torch.float64):
            if not torch.isfinite(t).all() or (t.abs() > 1e4).any():
                return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gradc", required=True)
    ap.add_argument("--dtype", choices=["f32", "f64"], required=True)
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="write failing cases to this folder")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rtol = 2e-4 if args.dtype == "f32" else 1e-9
    failures, done, rejected, ops = 0, 0, 0, {}
    while done < args.count:
        graph, values = make_case(rng, args.dtype)
        outs, _, _ = gt.run_torch(graph, values, {}, [])
        seeds = {}
        for o, t in outs.items():
            if t.requires_grad and t.numel() != 1:
                seeds[o] = {"shape": list(t.shape), "data": [rng.gauss(0, 1) for _ in range(t.numel())]}
        roots = [o for o, t in outs.items() if t.requires_grad]
        o2, g2, _ = gt.run_torch(graph, values, seeds, roots)
        if not tame(o2, g2):
            rejected += 1
            continue
        done += 1
        for n in graph["nodes"]:
            ops[n["op"]] = ops.get(n["op"], 0) + 1
        try:
            errors = gt.check_graph(args.gradc, graph, values, seeds, rtol)
        except RuntimeError as e:
            errors = [str(e)]
        if errors:
            failures += 1
            print("case %d FAILED:" % done)
            for e in errors[:5]:
                print("   ", e)
            if args.keep:
                gt.keep_case(args.keep, "case%d" % done, graph, values, seeds)
    print("%s: %d random graphs compared with PyTorch (%d rejected as non-finite "
          "or huge), %d failed" % (args.dtype, done, rejected, failures))
    print("op counts:", " ".join("%s=%d" % kv for kv in sorted(ops.items())))
    missing = sorted(set(gt.OPS) - set(ops))
    if missing:
        print("ops not drawn:", " ".join(missing))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
