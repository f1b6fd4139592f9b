"""Export handlers of shape operations and indexing: reshape/view,
flatten, transpose, permute, expand, squeeze/unsqueeze, cat, split, where,
dtype no-ops, x[idx], select, index_select, gather, one_hot, zeros_like and
ones_like. Sizes are static, so each becomes a gradc op with the sizes the
example run gave.
"""

import torch

from .export_builders import bind, varargs

__all__ = ["reshape", "flatten", "flatten_to", "transpose", "t2", "permute", "expand",
           "squeeze", "unsqueeze", "cat", "split", "where", "same_dtype", "getitem", "select",
           "index_select", "gather", "one_hot", "fill_like", "chunk", "stack", "unbind",
           "narrow", "as_shape", "attribute", "device_noop", "new_full", "normalize", "pad",
           "m_pad", "unflatten", "setitem"]


def reshape(c, args, kwargs):
    x, rest = args[0], args[1:]
    shape = varargs(rest) if rest else list(kwargs.get("shape", kwargs.get("size", ())))
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
    dims = varargs(args[1:]) if len(args) > 1 else list(kwargs.get("dims", ()))
    return c.emit("permute", [c.t(args[0])], {"dims": dims})


def expand(c, args, kwargs):
    shape = varargs(args[1:]) if len(args) > 1 else list(kwargs.get("size", ()))
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
    """x.float(), x.to(dtype), x.type_as(y), x.bool(): nothing when the
    dtype does not change; a bool mask to a float dtype is where(x, 1, 0)
    (exact: `(a == b).float().mean()`); anything to bool is x != 0. Other
    conversions have no gradc op."""
    x = c.t(args[0])
    want = c.values[c.node].dtype
    have = c.values[c.node.args[0]].dtype
    if want == have:
        return x
    name = _DTYPE.get(str(want).replace("torch.", ""))
    if have == torch.bool and name in ("f32", "f64"):
        one = c.emit("full", [], {"size": [], "fill_value": 1.0, "dtype": name})
        zero = c.emit("full", [], {"size": [], "fill_value": 0.0, "dtype": name})
        return c.emit("where", [x, one, zero])
    src = c.node.args[0]
    if (name in ("f32", "f64") and getattr(src, "op", None) == "call_function"
            and src.target is torch.nn.functional.one_hot):
        # F.one_hot(y, C).float(): compare y with 0..C-1 instead, exactly.
        y = c.t(c.resolve(src.args[0], c.env))
        idx = c.emit("unsqueeze", [y], {"dim": -1})
        classes = c.emit("arange", [], {"end": c.values[src].shape[-1],
                                        "dtype": c.em.dtypes.get(y) or "i64"})
        one = c.emit("full", [], {"size": [], "fill_value": 1.0, "dtype": name})
        zero = c.emit("full", [], {"size": [], "fill_value": 0.0, "dtype": name})
        return c.emit("where", [c.emit("eq", [idx, classes]), one, zero])
    if want == torch.bool:
        # A zero of x's own dtype (gradc compares operands of one dtype).
        zero = c.emit("full", [], {"size": [], "fill_value": 0,
                                   "dtype": _DTYPE[str(have).replace("torch.", "")]})
        return c.emit("ne", [x, zero])
    raise c.error("dtype conversions (%s to %s) are not supported: gradc has no conversion "
                  "op (only a bool mask to a float type, and anything to bool)" % (have, want))


def new_full(fill):
    """x.new_zeros(size), x.new_ones(size), x.new_full(size, v): a `full`
    of x's dtype (or the one given); x gives nothing else."""
    def h(c, args, kwargs):
        rest = list(args[1:])  # args[0] gives only the dtype (in the result)
        value = c.values[c.node]
        if fill is None:  # new_full(size, fill_value)
            v = rest.pop() if len(rest) > 1 else kwargs.get("fill_value")
        else:
            v = fill
        name = _DTYPE.get(str(value.dtype).replace("torch.", ""))
        if name is None:
            raise c.error("dtype %s is not supported" % value.dtype)
        return c.emit("full", [], {"size": list(value.shape), "fill_value": v, "dtype": name})
    return h


def normalize(c, args, kwargs):
    """F.normalize(x, p=2, dim=1, eps): x / clamp_min(norm(x, dim, keepdim), eps),
    PyTorch's own formula (so its gradient too)."""
    a = bind(c, args, kwargs, "input p=2.0 dim=1 eps=1e-12 out=None")
    if a["p"] != 2 or a["out"] is not None:
        raise c.error("normalize with p other than 2 or out= is not supported")
    x = c.t(a["input"])
    n = c.emit("norm", [x], {"p": 2, "dim": [a["dim"]], "keepdim": True})
    n = c.emit("clamp", [n], {"min": a["eps"]})
    return c.emit("div", [x, c.emit("expand", [n], {"shape": list(c.shape(x))})])


def _tensor_index(c, x, i):
    """x[t] with an integer tensor t: an embedding row lookup when x is 2-D
    (any shape of t), index_select along dim 0 when t is 1-D."""
    if c.em.dtypes.get(i) not in ("i64", "i32"):
        raise c.error("indexing with a bool mask is not supported (the result's shape "
                      "depends on the values)")
    if len(c.shape(x)) == 2:
        return c.emit("embedding", [i, x])
    if len(c.shape(i)) == 1:
        return c.emit("index_select", [x, i], {"dim": 0})
    raise c.error("indexing with a %d-D tensor is supported only on a 2-D tensor"
                  % len(c.shape(i)))


def getitem(c, args, kwargs):
    """x[idx] with ints, slices, None and ...: select, slice, unsqueeze;
    x[t] with one integer tensor: embedding or index_select."""
    x, idx = args
    if isinstance(x, (tuple, list)):
        return x[idx]
    x = c.t(x)
    if isinstance(idx, str):
        return _tensor_index(c, x, idx)
    idx = idx if isinstance(idx, tuple) else (idx,)
    if any(isinstance(i, str) for i in idx) or any(isinstance(i, (list, tuple)) for i in idx):
        raise c.error("indexing with tensors or lists mixed with other indices is not "
                      "supported")
    rank = len(c.shape(x))
    used = sum(1 for i in idx if i is not None and i is not Ellipsis)
    if Ellipsis in idx:
        k = idx.index(Ellipsis)
        idx = idx[:k] + (slice(None),) * (rank - used) + idx[k + 1:]
    dim, out = 0, x
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
        elif isinstance(i, int) and not isinstance(i, bool):
            out = c.emit("select", [out], {"dim": dim, "index": i})  # the dim goes away
        else:
            raise c.error("index %r is not supported" % (i,))
    return out


def select(c, args, kwargs):
    a = bind(c, args, kwargs, "input dim index")
    return c.emit("select", [c.t(a["input"])], {"dim": a["dim"], "index": a["index"]})


def index_select(c, args, kwargs):
    a = bind(c, args, kwargs, "input dim index out=None")
    if a["out"] is not None:
        raise c.error("out= is not supported")
    return c.emit("index_select", [c.t(a["input"]), c.t(a["index"], "index")], {"dim": a["dim"]})


def gather(c, args, kwargs):
    a = bind(c, args, kwargs, "input dim index sparse_grad=False out=None")
    if a["out"] is not None or a["sparse_grad"]:
        raise c.error("gather with out= or sparse_grad is not supported")
    return c.emit("gather", [c.t(a["input"]), c.t(a["index"], "index")], {"dim": a["dim"]})


def one_hot(c, args, kwargs):
    """F.one_hot: num_classes=-1 is the example's largest class + 1 there;
    gradc's shapes are static, so the size PyTorch computed is written."""
    a = bind(c, args, kwargs, "tensor num_classes=-1")
    return c.emit("one_hot", [c.t(a["tensor"])], {"num_classes": c.out_shape()[-1]})


_DTYPE = {"float32": "f32", "float64": "f64", "int32": "i32", "int64": "i64", "bool": "bool"}


def fill_like(op):
    """zeros_like / ones_like (the operand gives only shape and dtype)."""
    def h(c, args, kwargs):
        a = bind(c, args, kwargs, "input dtype=None layout=None device=None "
                 "requires_grad=False memory_format=None pin_memory=None")
        attrs = {}
        if a["dtype"] is not None:
            name = _DTYPE.get(str(a["dtype"]).replace("torch.", ""))
            if name is None:
                raise c.error("dtype %s is not supported" % a["dtype"])
            attrs["dtype"] = name
        return c.emit(op, [c.t(a["input"])], attrs)
    return h


def chunk(c, args, kwargs):
    """x.chunk(n, dim): pieces of ceil(size / n) along dim (fewer than n
    when they run out, as PyTorch's)."""
    a = bind(c, args, kwargs, "input chunks dim=0")
    x = c.t(a["input"])
    size = c.shape(x)[a["dim"]]
    step = max(1, -(-size // a["chunks"]))
    return split(c, (x, step, a["dim"]), {})


def stack(c, args, kwargs):
    """torch.stack: each operand unsqueezed at dim, then concatenated."""
    a = bind(c, args, kwargs, "tensors dim=0")
    xs = [c.t(x) for x in a["tensors"]]
    rank = len(c.shape(xs[0])) + 1
    dim = a["dim"] % rank
    parts = [c.emit("unsqueeze", [x], {"dim": dim}) for x in xs]
    for p, x in zip(parts, xs):
        c.em.shapes[p] = c.shape(x)[:dim] + (1,) + c.shape(x)[dim:]
    return c.emit("concat", parts, {"dim": dim})


def unbind(c, args, kwargs):
    """x.unbind(dim): a tuple of selects."""
    a = bind(c, args, kwargs, "input dim=0")
    x = c.t(a["input"])
    return tuple(c.emit("select", [x], {"dim": a["dim"], "index": i})
                 for i in range(c.shape(x)[a["dim"]]))


def narrow(c, args, kwargs):
    a = bind(c, args, kwargs, "input dim start length")
    start = a["start"]
    return c.emit("slice", [c.t(a["input"])], {"dim": a["dim"], "start": start,
                                               "end": start + a["length"]})


def as_shape(op):
    """x.view_as(y), x.reshape_as(y), x.expand_as(y): y gives the shape."""
    def h(c, args, kwargs):
        a = bind(c, args, kwargs, "input other")
        return c.emit(op, [c.t(a["input"])], {"shape": list(c.shape(c.t(a["other"], "other")))})
    return h


def attribute(c, args, kwargs):
    """getattr on a traced value: x.T, x.mT, x.data; `.values` and
    `.indices` of x.max(dim). (x.shape, x.dtype are sizes: never here.)"""
    x, name = args[0], args[1]
    if not isinstance(x, str):
        return getattr(x, name)
    rank = len(c.shape(x))
    if name == "T":
        return c.emit("permute", [x], {"dims": list(range(rank))[::-1]}) if rank > 1 else x
    if name == "mT":
        return c.emit("transpose", [x], {"dim0": -2, "dim1": -1})
    if name == "data":
        return c.emit("detach", [x])
    raise c.error("the tensor attribute '%s' is not supported" % name)


def device_noop(c, args, kwargs):
    """x.cpu(), x.cuda(): gradc has one device; the value is the same."""
    return c.t(args[0])


def pad_constant(c, x, pad, value):
    """F.pad(x, pad, value=v) in constant mode: per padded dim (the last
    first, as PyTorch pairs them), a concat of `full` blocks of v around x;
    a negative pad is a slice. Its gradient is the slice of g: exact."""
    x = c.t(x)
    shape = list(c.shape(x))
    dtype = c.em.dtypes.get(x)
    if len(pad) % 2 or len(pad) // 2 > len(shape):
        raise c.error("pad %r does not fit a %d-D tensor" % (list(pad), len(shape)))
    for k in range(len(pad) // 2):
        dim = len(shape) - 1 - k
        before, after = int(pad[2 * k]), int(pad[2 * k + 1])
        if before < 0 or after < 0:
            x = c.emit("slice", [x], {"dim": dim, "start": max(-before, 0),
                                      "end": shape[dim] - max(-after, 0)})
            shape[dim] -= max(-before, 0) + max(-after, 0)
            c.em.shapes[x] = tuple(shape)
            before, after = max(before, 0), max(after, 0)
        parts = []
        for n in (before, None, after):
            if n is None:
                parts.append(x)
            elif n > 0:
                size = shape[:dim] + [n] + shape[dim + 1:]
                parts.append(c.emit("full", [], {"size": size, "fill_value": value,
                                                 "dtype": dtype}))
        if len(parts) > 1:
            x = c.emit("concat", parts, {"dim": dim})
        shape[dim] += before + after
        c.em.shapes[x] = tuple(shape)
        c.em.dtypes[x] = dtype
    return x


def pad(c, args, kwargs):
    a = bind(c, args, kwargs, "input pad mode='constant' value=None")
    if a["mode"] != "constant":
        raise c.error("pad mode '%s' is not supported (only 'constant')" % a["mode"])
    if isinstance(a["value"], str):
        raise c.error("a tensor pad value is not supported")
    return pad_constant(c, a["input"], list(a["pad"]), a["value"] or 0.0)


def m_pad(c, mod, q, args, kwargs):
    """nn.ZeroPad2d, nn.ConstantPad1d/2d/3d."""
    return pad_constant(c, args[0], list(mod.padding), float(getattr(mod, "value", 0.0)))


def unflatten(c, args, kwargs):
    """x.unflatten(dim, sizes) (nn.Unflatten): a reshape to the shape
    PyTorch computed."""
    return c.emit("reshape", [c.t(args[0])], {"shape": list(c.out_shape())})


def setitem(c, args, kwargs):
    """x[idx] = v, an in-place write (export_inplace.py makes later uses of
    x read the result): with a bool mask tensor and a number,
    masked_fill(x, mask, v); with ints and slices and a number, masked_fill
    with the constant mask of the positions; with ints and slices and a
    tensor, where(mask, v placed at the positions, x), v placed by
    writing it into zeros of x's shape with pads."""
    x, idx, v = args
    x = c.t(x)
    if isinstance(idx, str):  # x[mask] = v
        if c.em.dtypes.get(idx) != "bool":
            raise c.error("x[t] = v with an integer tensor t is not supported")
        if isinstance(v, str):
            raise c.error("x[mask] = tensor is not supported (only a number)")
        return c.emit("masked_fill", [x, idx], {"value": _finite(c, v)})
    shape = c.values[c.node.args[0]].shape
    probe = torch.zeros(shape, dtype=torch.bool)
    try:
        probe[idx] = True
    except (IndexError, TypeError):
        raise c.error("index %r is not supported in x[...] = v" % (idx,)) from None
    mask = c.em.add_input(c.em.fresh(c.node.name + "_mask"), probe, False, True, fresh=True)
    if not isinstance(v, str):
        return c.emit("masked_fill", [x, mask], {"value": _finite(c, v)})
    # A tensor value: its elements in the masked positions, in order. The
    # positions form a box (ints and slices), so v broadcast to the box's
    # shape and padded into x's shape lands there.
    box = probe[idx].shape
    placed = c.emit("expand", [v], {"shape": list(box)}) if c.shape(v) != tuple(box) else v
    full = torch.zeros(shape)
    full[idx] = torch.arange(1, probe.sum().item() + 1, dtype=full.dtype).reshape(box)
    order = full[probe].long() - 1
    flat = c.emit("reshape", [placed], {"shape": [-1]})
    zeros = c.emit("full", [], {"size": [1], "fill_value": 0.0, "dtype": c.em.dtypes.get(x)})
    table = c.emit("concat", [zeros, flat], {"dim": 0})
    pos = torch.zeros(shape, dtype=torch.long)
    pos[probe] = order + 1
    where = c.em.add_input(c.em.fresh(c.node.name + "_positions"), pos, False, True, fresh=True)
    spread = c.emit("reshape", [c.emit("index_select", [table, c.emit(
        "reshape", [where], {"shape": [-1]})], {"dim": 0})], {"shape": list(shape)})
    return c.emit("where", [mask, spread, x])


def _finite(c, v):
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        big = torch.finfo(c.values[c.node.args[0]].dtype).max
        return big if v > 0 else -big
    return v
