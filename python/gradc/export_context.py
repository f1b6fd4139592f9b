"""How gradc.export walks a traced graph: the Context handlers see, and
convert(), which turns one torch.fx node into gradc nodes through the
tables of export_ops.py (or folds it to a constant).
"""

import operator

import torch

from .export_inplace import Aliases, mutated
from .export_ops import FUNCTIONS, METHODS, MODULES, NOT_YET, RANDOM

__all__ = ["Context", "convert", "Folded"]


class Context:
    """What handlers see: the emitter, the traced module, and each fx
    node's concrete value from the example run."""

    def __init__(self, em, gm, params, buffers, values, prefix=""):
        self.em, self.gm, self.params, self.buffers, self.values = em, gm, params, buffers, values
        self.prefix = prefix  # dropped from state names (a function's one module)
        self.node = None
        self.env = {}  # fx node -> gradc value, as the walk has it
        self.const_nodes = set()  # fx nodes folded to constants
        self.aliases = Aliases(gm)  # in-place writes (export_inplace.py)

    # -- helpers for handlers ------------------------------------------------
    def emit(self, op, inputs, attrs=None):
        return self.em.emit(op, inputs, attrs)

    def error(self, message):
        return self.em.error(message)

    def t(self, v, what="input"):
        return self.em.tensor(v, what)

    def shape(self, v):
        return self.em.shape(v)

    def out_shape(self):
        v = self.values[self.node]
        return tuple(v.shape)

    def public(self, qualname):
        """The name a module path or state gets in the graph: its qualified
        name, without the root of a function's single module (`model.`)."""
        if self.prefix and qualname.startswith(self.prefix):
            return qualname[len(self.prefix):]
        return qualname

    def state(self, qualname):
        """The input for a parameter or buffer, added on first use."""
        name = self.public(qualname)
        if name in self.em.shapes:
            return name
        if qualname in self.params:
            p = self.params[qualname]
            return self.em.add_input(name, p, p.requires_grad, True)
        if qualname in self.buffers:
            return self.em.add_input(name, self.buffers[qualname], False, True)
        obj = self.gm
        for part in qualname.split("."):
            obj = getattr(obj, part)
        if isinstance(obj, torch.Tensor):
            # A tied weight (lm_head.weight = wte.weight): named_parameters()
            # lists it once; every use is that one input.
            for table in (self.params, self.buffers):
                for q, t in table.items():
                    if t is obj:
                        return self.state(q)
            return self.em.add_input(name, obj, False, True)  # a plain tensor: a constant
        return obj

    def resolve(self, a, env):
        """An fx argument with nodes replaced by their values."""
        import torch.fx as fx
        if isinstance(a, fx.Node):
            v = env[a]
            if isinstance(v, Folded):  # first use of a folded constant
                if v.input is None and v.factory is not None:
                    v.input = self.em.emit(v.factory[0], [], v.factory[1], base=v.name,
                                           shape=tuple(v.value.shape),
                                           dtype=_DTYPES[v.value.dtype])
                elif v.input is None:
                    v.input = self.em.add_input(self.em.fresh(v.name), v.value, False, True,
                                                fresh=True)
                return v.input
            return v
        if isinstance(a, (list, tuple)):
            r = [self.resolve(x, env) for x in a]
            return type(a)(r) if not hasattr(a, "_fields") else type(a)(*r)
        if isinstance(a, dict):
            return {k: self.resolve(v, env) for k, v in a.items()}
        if isinstance(a, slice):  # x[:T] with a traced size T
            return slice(self.resolve(a.start, env), self.resolve(a.stop, env),
                         self.resolve(a.step, env))
        if isinstance(a, torch.Size):
            return tuple(a)
        return a


def convert(c, node, env):
    """The gradc value of one fx node; an in-place operation also makes
    later uses of the tensor it wrote read its result (export_inplace.py)."""
    out = _convert(c, node, env)
    if node.op in ("call_function", "call_method", "call_module"):
        c.aliases.record(node, out, env)
        target = mutated(c.gm, node)
        if target is not None and target in env:
            c.aliases.write(c, node, target, out, env)
    return out


def _convert(c, node, env):
    c.node, c.env = node, env
    value = c.values.get(node)
    if node.op == "get_attr":
        return c.state(node.target)
    # Non-tensor results (x.size(), x.shape[0], arithmetic on sizes) are
    # static: the example run gave them.
    writes = node.op == "call_function" and node.target is operator.setitem
    if not writes and (not isinstance(value, (torch.Tensor, tuple, list)) or (
            isinstance(value, (tuple, list)) and not any(isinstance(v, torch.Tensor)
                                                         for v in value))):
        return tuple(value) if isinstance(value, torch.Size) else value
    # A tensor computed only from sizes and such constants (torch.arange(T),
    # torch.ones(T, T).tril()) is folded to its value.
    if isinstance(value, torch.Tensor) and node.op in ("call_function", "call_method") and all(
            i in c.const_nodes or not _has_tensor(c.values.get(i)) for i in node.all_input_nodes):
        c.const_nodes.add(node)
        return constant(c, node, value, env)
    args = c.resolve(node.args, env)
    kwargs = c.resolve(node.kwargs, env)
    if node.op == "call_module":
        mod = c.gm.get_submodule(node.target)
        handler = _lookup_module(mod)
        if handler is None:
            raise _unsupported(c, type(mod))
        out = handler(c, mod, node.target, args, kwargs)
    else:
        table = FUNCTIONS if node.op == "call_function" else METHODS
        handler = table.get(node.target)
        if handler is None and node.op == "call_method" and node.target.endswith("_"):
            handler = METHODS.get(node.target[:-1])  # x.relu_(): relu, then the write
        if handler is None:
            raise _unsupported(c, node.target)
        out = handler(c, args, kwargs)
    if writes:  # x[idx] = v: the new x (export_inplace.py makes later uses read it)
        value = c.values[node.args[0]]
    if isinstance(out, str) and isinstance(value, torch.Tensor):
        c.em.shapes[out] = tuple(value.shape)
        if out not in c.em.dtypes:
            c.em.dtypes[out] = _DTYPES.get(value.dtype)
    return out


_DTYPES = {torch.float32: "f32", torch.float64: "f64", torch.int32: "i32", torch.int64: "i64",
           torch.bool: "bool"}


def _has_tensor(v):
    if isinstance(v, torch.Tensor):
        return True
    if isinstance(v, (tuple, list)):
        return any(_has_tensor(x) for x in v)
    return False




class Folded:
    """A constant tensor (the example run's value), made only when a graph
    node uses it: by a factory op (`factory`: op and attrs) or else as an
    input with the value as init."""

    def __init__(self, name, value, factory=None):
        self.name, self.value, self.factory, self.input = name, value, factory, None


def constant(c, node, value, env):
    """A tensor computed from no tensor (torch.arange(T), torch.ones(...)):
    gradc's arange and full when the call is one, else its value."""
    if node.target in RANDOM:
        raise c.error("a random tensor would be frozen at the tracing run's values; "
                      "pass it as an argument instead")
    return Folded(node.name, value, _factory(c, node, value, env))


def _factory(c, node, value, env):
    """(op, attrs) of torch.arange / zeros / ones / full, or None."""
    dtype = _DTYPES.get(value.dtype)
    if dtype is None or node.target not in (torch.arange, torch.zeros, torch.ones, torch.full):
        return None  # (resolving the operands of others would declare them)
    args = c.resolve(node.args, env)
    kwargs = c.resolve(node.kwargs, env)
    if set(kwargs) - {"dtype", "device", "requires_grad", "layout", "pin_memory"}:
        return None
    if node.target is torch.arange and all(isinstance(a, (int, float)) for a in args):
        if len(args) == 1:
            attrs = {"end": args[0]}
        elif len(args) in (2, 3):
            attrs = {"start": args[0], "end": args[1]}
            if len(args) == 3:
                attrs["step"] = args[2]
        else:
            return None
        attrs["dtype"] = dtype
        if not torch.equal(value, torch.arange(*args, dtype=value.dtype)):
            return None  # written in place later: its value
        return "arange", attrs
    if node.target in (torch.zeros, torch.ones, torch.full) and value.numel() > 0:
        fill = value.reshape(-1)[0].item()
        if not bool((value == fill).all()):
            return None  # written in place later (torch.ones(T, T).tril_()): its value
        return "full", {"size": list(value.shape), "fill_value": fill, "dtype": dtype}
    return None


def _lookup_module(mod):
    for cls in type(mod).__mro__:
        h = MODULES.get(cls)
        if h is not None:
            return h
    return None


def _unsupported(c, key):
    op = NOT_YET.get(key)
    if op:
        return c.error("gradc has no '%s' op yet" % op)
    return c.error("gradc has no mapping for it (see gradc/export_ops.py)")
