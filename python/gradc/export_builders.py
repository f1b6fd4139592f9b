"""Argument binding and the handler builders the export tables are made of.

A handler is `handler(c, args, kwargs) -> value` (functions and methods) or
`handler(c, module, qualname, args, kwargs) -> value` (modules), where args
are already resolved: a gradc value name (str) for a tensor, a Python value
for everything else; `c` is the export Context (export_context.py), and
`c.emit(op, inputs, attrs)` appends a gradc node. The builders here make the
handlers of most rows, so that a row of export_ops.py is one line.
"""

import operator

__all__ = ["bind", "varargs", "unary", "binary", "reduce", "amax", "softmax", "identity",
           "m_activation", "stat_reduce", "index_reduce", "attr_op", "extremum", "MaxResult"]


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


def varargs(rest):
    """x.view(2, 3) and x.view((2, 3)) alike."""
    if len(rest) == 1 and isinstance(rest[0], (tuple, list)):
        return list(rest[0])
    return list(rest)


# -- handler builders ---------------------------------------------------------
def unary(op, extra=""):
    def h(c, args, kwargs):
        a = bind(c, args, kwargs, "input " + extra)  # inplace: export_context.py
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
        dx, dy = (c.em.dtypes.get(v) if isinstance(v, str) else None for v in (x, y))
        if dx and dy and dx != dy:
            raise c.error("the operands have dtypes %s and %s: PyTorch promotes, gradc does "
                          "not (make both one dtype where they are made, e.g. "
                          "torch.arange(n, dtype=torch.float32), or use torch.where on an "
                          "integer mask)" % (dx, dy))
        return c.emit(op, [x, y])
    return h


def reduce(op):
    def h(c, args, kwargs):
        a = bind(c, args, kwargs, "input dim=None keepdim=False dtype=None")
        if not _no_conversion(c, a["dtype"]):
            raise c.error("a dtype argument that converts is not supported")
        attrs = {}
        if a["dim"] is not None:
            attrs["dim"] = list(a["dim"]) if isinstance(a["dim"], (tuple, list)) else a["dim"]
        if a["keepdim"]:
            attrs["keepdim"] = True
        x = c.t(a["input"])
        if op in ("max", "min") and "dim" in attrs:
            if isinstance(attrs["dim"], list):
                raise c.error("%s over a list of dims is not PyTorch's; use amax/amin" % op)
            # (values, indices), torch.max(x, dim)'s named tuple: gradc's
            # max with one dim is its values, argmax its indices.
            arg = c.emit("arg" + op, [x], dict(attrs))
            return MaxResult(c.emit(op, [x], attrs), arg)
        return c.emit(op, [x], attrs)
    return h


class MaxResult(tuple):
    """torch.max(x, dim)'s result: (values, indices), by name too."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


def extremum(op, elementwise):
    """torch.max / torch.min: of two tensors (elementwise), or a reduction."""
    red = reduce(op)

    def h(c, args, kwargs):
        other = args[1] if len(args) > 1 else kwargs.get("other")
        if isinstance(other, str):
            return c.emit(elementwise, [c.t(args[0]), other])
        return red(c, args, kwargs)
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
        if not _no_conversion(c, a["dtype"]):
            raise c.error("a dtype argument that converts is not supported")
        return c.emit(op, [c.t(a["input"])], {"dim": a["dim"]})
    return h


def _no_conversion(c, dtype):
    """A `dtype` argument is absent or the operand's own dtype (F.softmax(x,
    -1, dtype=torch.float32) of f32 x): nothing to convert."""
    if dtype is None:
        return True
    first = c.node.args[0] if c.node is not None and c.node.args else None
    have = getattr(c.values.get(first), "dtype", None)
    return have is not None and have == dtype


def identity(spec="input"):
    def h(c, args, kwargs):
        return bind(c, args, kwargs, spec)["input"]
    return h




def _attr_value(c, name, v, default):
    """A PyTorch argument as a gradc attribute value (tuples become lists).
    A str where the default is not one is a tensor (a gradc value name):
    these arguments are attributes, so it is refused."""
    if isinstance(v, str) and not isinstance(default, str):
        raise c.error("'%s' as a tensor is not supported (gradc takes it as a constant)" % name)
    if isinstance(v, tuple):
        return list(v)
    return v


def _defaults(spec):
    out = {}
    for p in spec.split():
        n, _, d = p.partition("=")
        out[n] = eval(d, {"inf": float("inf")}) if d else None
    return out


def attr_op(op, spec="", fixed=None):
    """An op of one tensor whose other PyTorch arguments are gradc
    attributes of the same names: `attr_op("leaky_relu", "negative_slope=0.01
    inplace=False")` turns F.leaky_relu(x, 0.2) into leaky_relu
    {negative_slope: 0.2}. Arguments left at None are left out (gradc's
    default is PyTorch's); a `dtype` is refused; `inplace` is left to the
    walk (export_context.py makes later uses read the result); `fixed`
    adds attributes (F.relu6 is hardtanh {min_val: 0, max_val: 6}); `out`
    must be None."""
    defaults = _defaults(spec)

    def h(c, args, kwargs):
        a = bind(c, args, kwargs, "input " + spec)
        a.pop("inplace", False)
        if a.pop("dtype", None) is not None:
            raise c.error("a dtype argument is not supported")
        if a.pop("out", None) is not None:
            raise c.error("out= is not supported")
        x = c.t(a.pop("input"))
        attrs = dict(fixed or {})
        for k, v in a.items():
            if v is not None:
                attrs[k] = _attr_value(c, k, v, defaults[k])
        return c.emit(op, [x], attrs)
    return h


def m_activation(op, names="", fixed=None):
    """An activation module whose attributes `names` (space separated) are
    the gradc op's: nn.LeakyReLU(0.2) -> leaky_relu {negative_slope: 0.2}."""
    def h(c, mod, q, args, kwargs):
        attrs = dict(fixed or {})
        for n in names.split():
            attrs[n] = getattr(mod, n)
        return c.emit(op, [c.t(args[0])], attrs)
    return h


def stat_reduce(op):
    """var and std: `correction` or `unbiased` as given (torch.var(x, False)
    passes unbiased in dim's place)."""
    inner = attr_op(op, "dim=None unbiased=None keepdim=False correction=None")

    def h(c, args, kwargs):
        if len(args) > 1 and isinstance(args[1], bool):
            kwargs = dict(kwargs, unbiased=args[1])
            args = args[:1] + tuple(args[2:])
        return inner(c, tuple(args), kwargs)
    return h


def index_reduce(op):
    """argmax/argmin: i64 indices (no gradient), dim an int or absent."""
    return attr_op(op, "dim=None keepdim=False")
