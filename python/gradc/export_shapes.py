"""Export handlers of shape operations and indexing: reshape/view,
flatten, transpose, permute, expand, squeeze/unsqueeze, cat, split, where,
dtype no-ops and x[idx]. Sizes are static, so each becomes a gradc shape op
with the sizes the example run gave.
"""

from .export_builders import bind, varargs

__all__ = ["reshape", "flatten", "flatten_to", "transpose", "t2", "permute", "expand",
           "squeeze", "unsqueeze", "cat", "split", "where", "same_dtype", "getitem"]


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


