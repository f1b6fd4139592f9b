"""The mapping from PyTorch operations to gradc ops, used by gradc.export.

Three tables, keyed by what a torch.fx node calls:

    FUNCTIONS  torch.*, torch.nn.functional.* and operator.* functions
    METHODS    Tensor methods, by name
    MODULES    nn.Module classes (leaf modules: fx does not trace into them)

Each row maps to a handler `handler(c, args, kwargs) -> value`, where args
are already resolved (a gradc value name for a tensor, a Python value for
everything else) and `c` is the Context (c.emit(op, inputs, attrs) appends
a gradc node). Most rows are one line built from a helper (`unary("exp")`,
`binary("add")`, `reduce("sum")`); a new gradc op is one new row. Exactness
matters: a decomposition must give PyTorch's values and gradients (nn.Linear
is `x @ W^T + b`; leaky_relu is `where(x > 0, x, x * slope)`, whose gradient
at 0 is PyTorch's `slope`; layer_norm, GELU's tanh form, masked_fill and
embedding are written with existing ops until gradc has them as ops).

NOT_YET names the PyTorch operations gradc has no op for yet, so their error
says which gradc op is missing.
"""

import operator

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["FUNCTIONS", "METHODS", "MODULES", "NOT_YET", "RANDOM", "bind"]


# Random factories: refused when folding constants (export_context.py).
RANDOM = {torch.rand, torch.randn, torch.randint, torch.rand_like, torch.randn_like,
          torch.randint_like, torch.normal, torch.bernoulli, torch.multinomial, torch.randperm}


# -- argument binding ---------------------------------------------------------
def bind(c, args, kwargs, spec):
    """Binds args/kwargs to the space-separated parameter `spec`
    ("input dim=None keepdim=False"); refuses unknown keywords."""
    names, defaults = [], {}
    for p in spec.split():
        if "=" in p:
            n, d = p.split("=", 1)
            defaults[n] = eval(d, {"inf": float("inf")})  # literals of this file only
        else:
            n = p
        names.append(n)
    if len(args) > len(names):
        raise c.error("too many arguments")
    out = dict(defaults)
    out.update(zip(names, args))
    for k, v in kwargs.items():
        if k not in names:
            raise c.error("the argument '%s' is not supported" % k)
        out[k] = v
    for n in names:
        if n not in out:
            raise c.error("the argument '%s' is missing" % n)
    return out


def _varargs(rest):
    """x.view(2, 3) and x.view((2, 3)) alike."""
    if len(rest) == 1 and isinstance(rest[0], (tuple, list)):
        return list(rest[0])
    return list(rest)


# -- handler builders ---------------------------------------------------------
def unary(op, extra=""):
    def h(c, args, kwargs):
        a = bind(c, args, kwargs, "input " + extra)
        if a.get("inplace"):
            raise c.error("in-place operations are not supported")
        return c.emit(op, [c.t(a["input"])])
    return h


# Both operands Python numbers: computed here, as PyTorch would.
_PY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
       "pow": operator.pow, "maximum": max, "minimum": min, "gt": operator.gt,
       "ge": operator.ge, "lt": operator.lt, "le": operator.le, "eq": operator.eq,
       "ne": operator.ne}


def binary(op, swap=False):
    """A broadcasting binary op; Python numbers are scalar constants."""
    def h(c, args, kwargs):
        a = bind(c, args, kwargs, "input other alpha=1 rounding_mode=None")
        x, y = (a["other"], a["input"]) if swap else (a["input"], a["other"])
        if a["alpha"] != 1:
            if op not in ("add", "sub"):
                raise c.error("alpha is not supported")
            y = c.emit("mul", [y, a["alpha"]]) if isinstance(y, str) else y * a["alpha"]
        if a["rounding_mode"] is not None:
            raise c.error("division with rounding_mode is not supported")
        if not isinstance(x, str) and not isinstance(y, str):
            return _PY[op](x, y)
        return c.emit(op, [x, y])
    return h


def reduce(op):
    def h(c, args, kwargs):
        a = bind(c, args, kwargs, "input dim=None keepdim=False dtype=None")
        if a["dtype"] is not None:
            raise c.error("a dtype argument is not supported")
        attrs = {}
        if a["dim"] is not None:
            attrs["dim"] = list(a["dim"]) if isinstance(a["dim"], (tuple, list)) else a["dim"]
        if a["keepdim"]:
            attrs["keepdim"] = True
        if op in ("max", "min") and "dim" in attrs:
            raise c.error("%s with a dim returns values and indices; use amax/amin" % op)
        return c.emit(op, [c.t(a["input"])], attrs)
    return h


def amax(op):
    def h(c, args, kwargs):
        a = bind(c, args, kwargs, "input dim=() keepdim=False")
        dims = list(a["dim"]) if isinstance(a["dim"], (tuple, list)) else [a["dim"]]
        if len(dims) == 1:
            # gradc reads a single dim as torch.max(x, dim) (all of g to one
            # element), amax shares g among ties; they differ only at ties.
            raise c.error("%s over one dim is not supported (gradc's %s with one dim has "
                          "torch.max's tie rule)" % ("amax" if op == "max" else "amin", op))
        attrs = {"dim": dims} if dims else {}
        if a["keepdim"]:
            attrs["keepdim"] = True
        return c.emit(op, [c.t(a["input"])], attrs)
    return h


def softmax(op):
    def h(c, args, kwargs):
        a = bind(c, args, kwargs, "input dim=None _stacklevel=3 dtype=None")
        if a["dim"] is None:
            raise c.error("%s needs an explicit dim" % op)
        if a["dtype"] is not None:
            raise c.error("a dtype argument is not supported")
        return c.emit(op, [c.t(a["input"])], {"dim": a["dim"]})
    return h


def identity(spec="input"):
    def h(c, args, kwargs):
        return bind(c, args, kwargs, spec)["input"]
    return h


# -- handlers with more logic ---------------------------------------------------
def linear(c, x, w, b):
    """F.linear: x @ W^T + b (W is [out, in]); exactly PyTorch's values."""
    wt = c.emit("transpose", [c.t(w)], {"dim0": 0, "dim1": 1}) if len(c.shape(w)) == 2 else w
    y = c.emit("matmul", [c.t(x), wt])
    return c.emit("add", [y, b]) if b is not None else y


def f_linear(c, args, kwargs):
    a = bind(c, args, kwargs, "input weight bias=None")
    return linear(c, a["input"], a["weight"], a["bias"])


def leaky(c, x, slope):
    """where(x > 0, x, x * slope): PyTorch's value and its gradient
    (1 above 0, slope at and below 0)."""
    pos = c.emit("gt", [c.t(x), 0])
    neg = c.emit("mul", [x, slope])
    return c.emit("where", [pos, x, neg])


def f_leaky_relu(c, args, kwargs):
    a = bind(c, args, kwargs, "input negative_slope=0.01 inplace=False")
    return leaky(c, a["input"], a["negative_slope"])


def f_dropout(c, args, kwargs):
    a = bind(c, args, kwargs, "input p=0.5 training=True inplace=False")
    if a["training"] and a["p"] > 0:
        raise c.error("dropout in training mode is random: pass training=False or p=0")
    return a["input"]


def cross_entropy(c, x, target, weight, ignore_index, reduction, label_smoothing):
    if weight is not None:
        raise c.error("cross_entropy with class weights is not supported")
    if label_smoothing:
        raise c.error("cross_entropy with label_smoothing is not supported")
    attrs = {}
    if reduction != "mean":
        attrs["reduction"] = reduction
    if ignore_index != -100:
        attrs["ignore_index"] = ignore_index
    return c.emit("cross_entropy", [c.t(x), c.t(target)], attrs)


def f_cross_entropy(c, args, kwargs):
    a = bind(c, args, kwargs, "input target weight=None size_average=None ignore_index=-100 "
             "reduce=None reduction='mean' label_smoothing=0.0")
    if a["size_average"] is not None or a["reduce"] is not None:
        raise c.error("the deprecated size_average/reduce arguments are not supported")
    return cross_entropy(c, a["input"], a["target"], a["weight"], a["ignore_index"],
                         a["reduction"], a["label_smoothing"])


def mse(c, x, y, reduction):
    return c.emit("mse_loss", [c.t(x), c.t(y)], {} if reduction == "mean" else {"reduction": reduction})


def f_mse_loss(c, args, kwargs):
    a = bind(c, args, kwargs, "input target size_average=None reduce=None reduction='mean'")
    if a["size_average"] is not None or a["reduce"] is not None:
        raise c.error("the deprecated size_average/reduce arguments are not supported")
    return mse(c, a["input"], a["target"], a["reduction"])


def reshape(c, args, kwargs):
    x, rest = args[0], args[1:]
    shape = _varargs(rest) if rest else list(kwargs.get("shape", kwargs.get("size", ())))
    return c.emit("reshape", [c.t(x)], {"shape": [int(s) for s in shape]})


def flatten_to(c, x, start, end):
    """flatten as a reshape to the shape PyTorch computed."""
    shape = list(c.shape(c.t(x)))
    if not shape:
        return c.emit("reshape", [x], {"shape": [1]})
    r = len(shape)
    s, e = start % r, end % r
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return c.emit("reshape", [x], {"shape": shape[:s] + [n] + shape[e + 1:]})


def flatten(c, args, kwargs):
    a = bind(c, args, kwargs, "input start_dim=0 end_dim=-1")
    return flatten_to(c, a["input"], a["start_dim"], a["end_dim"])


def transpose(c, args, kwargs):
    a = bind(c, args, kwargs, "input dim0 dim1")
    return c.emit("transpose", [c.t(a["input"])], {"dim0": a["dim0"], "dim1": a["dim1"]})


def t2(c, args, kwargs):
    x = c.t(bind(c, args, kwargs, "input")["input"])
    if len(c.shape(x)) < 2:
        return x
    return c.emit("transpose", [x], {"dim0": 0, "dim1": 1})


def permute(c, args, kwargs):
    dims = _varargs(args[1:]) if len(args) > 1 else list(kwargs.get("dims", ()))
    return c.emit("permute", [c.t(args[0])], {"dims": dims})


def expand(c, args, kwargs):
    shape = _varargs(args[1:]) if len(args) > 1 else list(kwargs.get("size", ()))
    return c.emit("expand", [c.t(args[0])], {"shape": shape})


def squeeze(c, args, kwargs):
    a = bind(c, args, kwargs, "input dim=None")
    return c.emit("squeeze", [c.t(a["input"])], {} if a["dim"] is None else {"dim": a["dim"]})


def unsqueeze(c, args, kwargs):
    a = bind(c, args, kwargs, "input dim")
    return c.emit("unsqueeze", [c.t(a["input"])], {"dim": a["dim"]})


def cat(c, args, kwargs):
    a = bind(c, args, kwargs, "tensors dim=0")
    return c.emit("concat", [c.t(x) for x in a["tensors"]], {"dim": a["dim"]})


def split(c, args, kwargs):
    """x.split(size or sizes, dim): a tuple of slices."""
    kwargs = dict(kwargs)
    if "split_size" in kwargs:  # the method's keyword
        kwargs["split_size_or_sections"] = kwargs.pop("split_size")
    a = bind(c, args, kwargs, "tensor split_size_or_sections dim=0")
    x = c.t(a["tensor"])
    n = c.shape(x)[a["dim"]]
    sizes = a["split_size_or_sections"]
    if isinstance(sizes, int):
        sizes = [min(sizes, n - s) for s in range(0, n, sizes)]
    out, start = [], 0
    for k in sizes:
        out.append(c.emit("slice", [x], {"dim": a["dim"], "start": start, "end": start + k}))
        start += k
    return tuple(out)


def where(c, args, kwargs):
    a = bind(c, args, kwargs, "condition input other")
    return c.emit("where", [c.t(a["condition"]), a["input"], a["other"]])


def same_dtype(c, args, kwargs):
    """x.float(), x.to(dtype), x.type_as(y): only when nothing changes."""
    x = c.t(args[0])
    want = c.values[c.node].dtype
    have = c.values[c.node.args[0]].dtype
    if want != have:
        raise c.error("dtype conversions (%s to %s) are not supported" % (have, want))
    return x


def getitem(c, args, kwargs):
    """x[idx] with ints, slices, None and ...: slice, squeeze, unsqueeze."""
    x, idx = args
    if isinstance(x, (tuple, list)):
        return x[idx]
    x = c.t(x)
    idx = idx if isinstance(idx, tuple) else (idx,)
    if any(isinstance(i, str) for i in idx) or any(isinstance(i, (list, tuple)) for i in idx):
        raise c.error("indexing with tensors or lists is not supported")
    rank = len(c.shape(x))
    used = sum(1 for i in idx if i is not None and i is not Ellipsis)
    if Ellipsis in idx:
        k = idx.index(Ellipsis)
        idx = idx[:k] + (slice(None),) * (rank - used) + idx[k + 1:]
    dim, squeeze_dims, out = 0, [], x
    for i in idx:
        if i is None:
            out = c.emit("unsqueeze", [out], {"dim": dim})
            dim += 1
        elif isinstance(i, slice):
            if i != slice(None):
                step = 1 if i.step is None else i.step
                attrs = {"dim": dim, "step": step}
                if i.start is not None:
                    attrs["start"] = i.start
                if i.stop is not None:
                    attrs["end"] = i.stop
                out = c.emit("slice", [out], attrs)
            dim += 1
        elif isinstance(i, int):
            end = i + 1 if i != -1 else None
            attrs = {"dim": dim, "start": i}
            if end is not None:
                attrs["end"] = end
            out = c.emit("slice", [out], attrs)
            squeeze_dims.append(dim)
            dim += 1
        else:
            raise c.error("index %r is not supported" % (i,))
    if squeeze_dims:
        out = c.emit("squeeze", [out], {"dim": squeeze_dims})
    return out


def layer_norm(c, x, normalized_shape, w, b, eps):
    """(x - mean) / sqrt(var + eps) * w + b over the trailing dims, var
    biased, as F.layer_norm (until gradc has a layer_norm op: then this is
    one row)."""
    x = c.t(x)
    k = len(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else 1
    dims = list(range(-k, 0))
    mu = c.emit("mean", [x], {"dim": dims, "keepdim": True})
    d = c.emit("sub", [x, mu])
    var = c.emit("mean", [c.emit("mul", [d, d])], {"dim": dims, "keepdim": True})
    y = c.emit("div", [d, c.emit("sqrt", [c.emit("add", [var, eps])])])
    if w is not None:
        y = c.emit("mul", [y, w])
    if b is not None:
        y = c.emit("add", [y, b])
    return y


def f_layer_norm(c, args, kwargs):
    a = bind(c, args, kwargs, "input normalized_shape weight=None bias=None eps=1e-05")
    return layer_norm(c, a["input"], a["normalized_shape"], a["weight"], a["bias"], a["eps"])


def gelu(c, x, approximate):
    """GELU's tanh form, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
    the formula PyTorch evaluates for approximate='tanh'. The exact form
    needs erf, which gradc does not have yet."""
    if approximate != "tanh":
        raise c.error("gradc has no 'gelu' op yet (GELU(approximate='tanh') is exported "
                      "as tanh arithmetic; the erf form needs an erf op)")
    x = c.t(x)
    x3 = c.emit("mul", [c.emit("mul", [x, x]), x])
    inner = c.emit("mul", [c.emit("add", [x, c.emit("mul", [x3, 0.044715])]),
                          0.7978845608028654])
    return c.emit("mul", [c.emit("mul", [x, 0.5]), c.emit("add", [c.emit("tanh", [inner]), 1])])


def f_gelu(c, args, kwargs):
    a = bind(c, args, kwargs, "input approximate='none'")
    return gelu(c, a["input"], a["approximate"])


def embedding(c, idx, weight, padding_idx, max_norm, what):
    """weight[idx] as one_hot(idx) @ weight: one_hot compares idx with a
    constant 0..V-1. Values are exact (each row sums one weight row and
    zeros) and so is the gradient onehot^T g, PyTorch's row sums. It costs
    a matmul over the vocabulary, fine for small ones, until gradc has an
    embedding op (then this is one row)."""
    if padding_idx is not None:
        raise c.error("embedding with padding_idx is not supported")
    if max_norm is not None:
        raise c.error("embedding with max_norm is not supported")
    V = c.shape(weight)[0]
    ar = c.em.add_input(c.em.fresh(what + "_arange"), torch.arange(V), False, True, fresh=True)
    hot = c.emit("eq", [c.emit("unsqueeze", [c.t(idx)], {"dim": -1}), ar])
    onehot = c.emit("where", [hot, 1.0, 0.0])
    return c.emit("matmul", [onehot, c.t(weight)])


def f_embedding(c, args, kwargs):
    a = bind(c, args, kwargs, "input weight padding_idx=None max_norm=None norm_type=2.0 "
             "scale_grad_by_freq=False sparse=False")
    if a["scale_grad_by_freq"] or a["sparse"]:
        raise c.error("embedding with scale_grad_by_freq or sparse is not supported")
    return embedding(c, a["input"], a["weight"], a["padding_idx"], a["max_norm"], c.node.name)


def m_embedding(c, mod, q, args, kwargs):
    if mod.scale_grad_by_freq or mod.sparse:
        raise c.error("embedding with scale_grad_by_freq or sparse is not supported")
    return embedding(c, args[0], c.state(q + ".weight"), mod.padding_idx, mod.max_norm, q)


def masked_fill(c, args, kwargs):
    """x.masked_fill(mask, v) = where(mask, v, x): v where the mask is set."""
    a = bind(c, args, kwargs, "input mask value")
    v = a["value"]
    if isinstance(v, str):
        raise c.error("masked_fill with a tensor value is not supported")
    v = float(v) if isinstance(v, float) else v
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        # gradc's JSON has no infinities. The dtype's largest finite value
        # gives the same softmax (exp underflows to 0 either way) and the
        # same gradients; only a row masked entirely differs (PyTorch: NaN).
        big = torch.finfo(c.values[c.node].dtype).max
        v = big if v > 0 else -big
    return c.emit("where", [c.t(a["mask"]), v, c.t(a["input"])])


# -- module handlers -------------------------------------------------------------
def m_linear(c, mod, q, args, kwargs):
    w = c.state(q + ".weight")
    b = c.state(q + ".bias") if mod.bias is not None else None
    return linear(c, args[0], w, b)


def m_unary(op):
    def h(c, mod, q, args, kwargs):
        if getattr(mod, "inplace", False):
            raise c.error("in-place modules are not supported")
        return c.emit(op, [c.t(args[0])])
    return h


def m_softmax(op):
    def h(c, mod, q, args, kwargs):
        if mod.dim is None:
            raise c.error("%s needs an explicit dim" % type(mod).__name__)
        return c.emit(op, [c.t(args[0])], {"dim": mod.dim})
    return h


def m_layer_norm(c, mod, q, args, kwargs):
    w = c.state(q + ".weight") if mod.weight is not None else None
    b = c.state(q + ".bias") if mod.bias is not None else None
    return layer_norm(c, args[0], mod.normalized_shape, w, b, mod.eps)


def m_dropout(c, mod, q, args, kwargs):
    if mod.training and mod.p > 0:
        raise c.error("dropout in training mode is random: call .eval() first")
    return args[0]


MODULES = {
    nn.Linear: m_linear,
    nn.ReLU: m_unary("relu"),
    nn.Sigmoid: m_unary("sigmoid"),
    nn.Tanh: m_unary("tanh"),
    nn.Softmax: m_softmax("softmax"),
    nn.LogSoftmax: m_softmax("log_softmax"),
    nn.LeakyReLU: lambda c, m, q, a, k: leaky(c, a[0], m.negative_slope),
    nn.Identity: lambda c, m, q, a, k: a[0],
    nn.Dropout: m_dropout,
    nn.LayerNorm: m_layer_norm,
    nn.Embedding: m_embedding,
    nn.GELU: lambda c, m, q, a, k: gelu(c, a[0], m.approximate),
    nn.Flatten: lambda c, m, q, a, k: flatten_to(c, a[0], m.start_dim, m.end_dim),
    nn.MSELoss: lambda c, m, q, a, k: mse(c, a[0], a[1], m.reduction),
    nn.CrossEntropyLoss: lambda c, m, q, a, k: cross_entropy(
        c, a[0], a[1], m.weight, m.ignore_index, m.reduction, m.label_smoothing),
}

FUNCTIONS = {
    # elementwise
    operator.add: binary("add"), torch.add: binary("add"),
    operator.sub: binary("sub"), torch.sub: binary("sub"),
    operator.mul: binary("mul"), torch.mul: binary("mul"),
    operator.truediv: binary("div"), torch.div: binary("div"),
    operator.pow: binary("pow"), torch.pow: binary("pow"),
    operator.neg: unary("neg"), torch.neg: unary("neg"),
    torch.maximum: binary("maximum"), torch.minimum: binary("minimum"),
    operator.gt: binary("gt"), operator.ge: binary("ge"), operator.lt: binary("lt"),
    operator.le: binary("le"), operator.eq: binary("eq"), operator.ne: binary("ne"),
    torch.gt: binary("gt"), torch.ge: binary("ge"), torch.lt: binary("lt"),
    torch.le: binary("le"), torch.eq: binary("eq"), torch.ne: binary("ne"),
    torch.exp: unary("exp"), torch.log: unary("log"), torch.sqrt: unary("sqrt"),
    torch.abs: unary("abs"), torch.sin: unary("sin"), torch.cos: unary("cos"),
    torch.sign: unary("sign"), torch.detach: unary("detach"),
    torch.tanh: unary("tanh"), F.tanh: unary("tanh"),
    torch.sigmoid: unary("sigmoid"), F.sigmoid: unary("sigmoid"),
    torch.relu: unary("relu"), F.relu: unary("relu", "inplace=False"),
    F.leaky_relu: f_leaky_relu,
    torch.where: where,
    # linear algebra
    operator.matmul: binary("matmul"), torch.matmul: binary("matmul"),
    torch.mm: binary("matmul"), torch.bmm: binary("matmul"),
    F.linear: f_linear,
    # reductions, softmax, losses
    torch.sum: reduce("sum"), torch.mean: reduce("mean"),
    torch.amax: amax("max"), torch.amin: amax("min"),
    torch.softmax: softmax("softmax"), F.softmax: softmax("softmax"),
    torch.log_softmax: softmax("log_softmax"), F.log_softmax: softmax("log_softmax"),
    F.cross_entropy: f_cross_entropy, F.mse_loss: f_mse_loss,
    F.dropout: f_dropout,
    F.layer_norm: f_layer_norm, F.gelu: f_gelu, F.embedding: f_embedding,
    torch.masked_fill: masked_fill,
    # shapes
    torch.reshape: reshape, torch.flatten: flatten, torch.transpose: transpose,
    torch.t: t2, torch.permute: permute, torch.squeeze: squeeze,
    torch.unsqueeze: unsqueeze, torch.cat: cat, torch.concat: cat, torch.split: split,
    operator.getitem: getitem,
}

METHODS = {
    "add": binary("add"), "sub": binary("sub"), "mul": binary("mul"), "div": binary("div"),
    "pow": binary("pow"), "neg": unary("neg"), "matmul": binary("matmul"),
    "maximum": binary("maximum"), "minimum": binary("minimum"),
    "exp": unary("exp"), "log": unary("log"), "sqrt": unary("sqrt"), "abs": unary("abs"),
    "sin": unary("sin"), "cos": unary("cos"), "tanh": unary("tanh"),
    "sigmoid": unary("sigmoid"), "relu": unary("relu"), "sign": unary("sign"),
    "detach": unary("detach"),
    "sum": reduce("sum"), "mean": reduce("mean"), "max": reduce("max"), "min": reduce("min"),
    "amax": amax("max"), "amin": amax("min"),
    "softmax": softmax("softmax"), "log_softmax": softmax("log_softmax"),
    "reshape": reshape, "view": reshape, "flatten": flatten, "transpose": transpose,
    "t": t2, "permute": permute, "expand": expand, "squeeze": squeeze,
    "unsqueeze": unsqueeze, "split": split, "contiguous": identity("input memory_format=None"),
    "clone": identity("input memory_format=None"),
    "masked_fill": masked_fill,
    "float": same_dtype, "double": same_dtype, "to": same_dtype, "type_as": same_dtype,
}

# PyTorch operations whose gradc op does not exist yet: the error names it.
NOT_YET = {
    nn.Conv1d: "conv1d", nn.Conv2d: "conv2d", F.conv2d: "conv2d", F.conv1d: "conv1d",
    nn.BatchNorm1d: "batch_norm", nn.BatchNorm2d: "batch_norm", F.batch_norm: "batch_norm",
    nn.MaxPool2d: "max_pool2d", F.max_pool2d: "max_pool2d",
    nn.AvgPool2d: "avg_pool2d", F.avg_pool2d: "avg_pool2d",
    nn.MultiheadAttention: "scaled_dot_product_attention",
    torch.logsumexp: "logsumexp", "logsumexp": "logsumexp",
    F.nll_loss: "nll_loss", nn.NLLLoss: "nll_loss",
    torch.triu: "triu", "triu": "triu", torch.tril: "tril", "tril": "tril",
    F.silu: "silu", nn.SiLU: "silu", F.softplus: "softplus", nn.Softplus: "softplus",
    torch.erf: "erf", "erf": "erf",
}
