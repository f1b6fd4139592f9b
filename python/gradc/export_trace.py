"""How gradc.export traces a callable: torch.fx's symbolic tracer, extended
so that models written the usual way trace.

torch.fx alone refuses several things people write in a forward(); gradc's
shapes are static, so each can be decided with the example inputs:

- sizes in control flow (`assert t <= self.block_size`, `if x.dim() == 4`),
  `len(x)`, `range(x.size(0))` and loops over `x.size()[1:]`: the tracer
  computes every traced value on the example inputs while it traces (its
  "concrete" value), so a size has its example value there. Control flow
  on the values of a tensor is still refused: it would freeze one branch.
- `B, T, C = x.size()` (fx's own unpacking reads Python 3.11's bytecode
  wrongly; the concrete value gives the length instead);
- factories of traced sizes (`torch.arange(T)`, `torch.ones(T, T)`), which
  fx does not see: wrapped during tracing so that they become nodes;
- a function that calls modules it closes over or reads as globals
  (`def step(x, y): return F.cross_entropy(model(x), y)`): those modules
  are installed under the function's root, so their parameters become
  inputs (under the function's name for the module, `model.fc1.weight`, or,
  when one of them has parameters, under its own names, `fc1.weight`);
- a bound method of a module (`model.training_step`), traced as that
  module's method;
- a module without parameters made inside forward
  (`nn.CrossEntropyLoss()(out, y)`): its forward is traced in place.
"""

import dis
import inspect
import operator
import types

import torch
import torch.fx as fx

__all__ = ["trace", "owners", "TraceFailure"]


class TraceFailure(Exception):
    """torch.fx could not trace the callable (the message says why)."""


_UNKNOWN = object()  # a value the tracer could not compute on the examples

# Tensor factories that take sizes, not tensors: fx cannot see a call like
# torch.arange(0, T) with a traced T; during tracing they are wrapped so
# that such a call becomes a graph node (as torch.fx.wrap does for globals).
# Random factories always become nodes, so that the export refuses them
# instead of freezing one draw into the graph.
_FACTORIES = ("arange", "ones", "zeros", "full", "eye")
_RANDOM_FACTORIES = ("rand", "randn", "randint", "rand_like", "randn_like", "randint_like",
                     "normal", "bernoulli", "multinomial", "randperm")


def _has_proxy(values):
    """A traced value among values, also inside a size tuple
    (torch.full((B, 1), v) with a traced B)."""
    return any(isinstance(v, fx.Proxy) or
               (isinstance(v, (tuple, list)) and _has_proxy(v)) for v in values)


class _Tracer(fx.Tracer):
    """An fx Tracer that keeps the concrete value of every node it makes
    (computed on the example inputs as the node is made) and answers
    bool(), len(), iter() and int() of a traced size with it."""

    def __init__(self, examples, extra_modules=()):
        super().__init__()
        self.record_stack_traces = True
        # Buffers (a causal mask) as get_attr nodes, not baked-in tensors,
        # so that slicing them with traced sizes works and they become inputs.
        self.proxy_buffer_attributes = True
        self.examples = list(examples)
        self.extra_modules = list(extra_modules)  # (name, module) of a function's closure
        self.values = {}
        self.placeholders = 0
        self.evaluating = False

    # fx's trace() gives a function an empty root module; the modules the
    # function uses are installed there as it is assigned.
    @property
    def root(self):
        return self.__dict__.get("_root")

    @root.setter
    def root(self, module):
        if type(module) is torch.nn.Module and not list(module.children()):
            for name, m in self.extra_modules:
                module.add_module(name, m)
        self.__dict__["_root"] = module

    # -- concrete values ------------------------------------------------------
    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None,
                     proxy_factory_fn=None):
        p = super().create_proxy(kind, target, args, kwargs, name, type_expr, proxy_factory_fn)
        self.values[p.node] = self._evaluate(p.node)
        return p

    def call_module(self, m, forward, args, kwargs):
        if self.evaluating:  # computing a concrete value: a plain call
            return forward(*args, **kwargs)
        try:
            self.path_of_module(m)
        except NameError:
            # A module made inside forward (nn.CrossEntropyLoss()(out, y)):
            # without state, its forward is traced like the caller's code.
            if any(True for _ in m.parameters()):
                raise NameError("a %s with parameters is created inside the traced code; "
                                "make it an attribute of the model" % type(m).__name__)
            return forward(*args, **kwargs)
        return super().call_module(m, forward, args, kwargs)

    def is_leaf_module(self, m, qualname):
        """torch.nn modules the export has a row for (or names as missing)
        are leaves; others (nn.TransformerEncoderLayer) are traced through,
        down to modules and functions that have rows."""
        if not super().is_leaf_module(m, qualname):
            return False
        from .export_ops import MODULES, NOT_YET
        return any(cls in MODULES or cls in NOT_YET for cls in type(m).__mro__)

    def getattr(self, attr, attr_val, parameter_proxy_cache):
        if self.evaluating:
            return attr_val
        return super().getattr(attr, attr_val, parameter_proxy_cache)

    def _evaluate(self, node):
        if node.op == "placeholder":
            k, self.placeholders = self.placeholders, self.placeholders + 1
            if k < len(self.examples):
                return self.examples[k]
            return node.args[0] if node.args else _UNKNOWN  # a default left
        if node.op == "output":
            return _UNKNOWN
        missing = []

        def value(n):
            v = self.values.get(n, _UNKNOWN)
            if v is _UNKNOWN:
                missing.append(n)
            return v

        args = fx.node.map_arg(node.args, value)
        kwargs = fx.node.map_arg(node.kwargs, value)
        if missing:
            return _UNKNOWN
        self.evaluating = True
        try:
            with torch.no_grad():
                if node.op == "get_attr":
                    obj = self.root
                    for part in node.target.split("."):
                        obj = getattr(obj, part)
                    return obj
                if node.op == "call_function":
                    return node.target(*args, **kwargs)
                if node.op == "call_method":
                    return getattr(args[0], node.target)(*args[1:], **kwargs)
                if node.op == "call_module":
                    return self.root.get_submodule(node.target)(*args, **kwargs)
        except Exception:  # the example run after tracing reports real errors
            return _UNKNOWN
        finally:
            self.evaluating = False
        return _UNKNOWN

    def concrete(self, proxy, what):
        """The example value of a traced non-tensor (a size, a count)."""
        v = self.values.get(proxy.node, _UNKNOWN)
        if isinstance(v, torch.Tensor):
            raise fx.proxy.TraceError(
                "%s of a tensor's values (the control flow would depend on the data; gradc "
                "graphs are static)" % what)
        if v is _UNKNOWN:
            raise fx.proxy.TraceError("%s of a value that could not be computed on the "
                                      "example inputs" % what)
        return v

    def to_bool(self, obj):
        return bool(self.concrete(obj, "control flow on the truth"))

    def iter(self, obj):
        v = self.values.get(obj.node, _UNKNOWN)
        if isinstance(v, torch.Tensor) and v.dim() > 0:
            return (obj[i] for i in range(v.shape[0]))
        if isinstance(v, (tuple, list)):
            return (obj[i] for i in range(len(v)))
        # Unknown: fx's own rule (unpacking), with Python 3.11's offsets.
        frame = inspect.currentframe()
        caller = frame.f_back.f_back if frame and frame.f_back else None
        if caller is not None:
            for inst in dis.get_instructions(caller.f_code):
                if inst.offset == caller.f_lasti:
                    if inst.opname == "UNPACK_SEQUENCE":
                        return (obj[i] for i in range(inst.argval))
                    break
        return super().iter(obj)

    def length(self, obj):
        v = self.values.get(obj.node, _UNKNOWN)
        if isinstance(v, (torch.Tensor, tuple, list)):
            return len(v)
        raise fx.proxy.TraceError("len() of a value that could not be computed on the "
                                  "example inputs")


class _Patches:
    """What is changed while tracing, and restored after: the factories
    (above), and len()/int()/index() of a proxy (fx refuses them; a traced
    size has its example value)."""

    def __init__(self, tracer):
        self.tracer, self.saved = tracer, []

    def _set(self, owner, name, value):
        self.saved.append((owner, name, owner.__dict__.get(name, _UNKNOWN)))
        setattr(owner, name, value)

    def __enter__(self):
        tracer = self.tracer
        for name in _FACTORIES + _RANDOM_FACTORIES:
            orig = getattr(torch, name)
            always = name in _RANDOM_FACTORIES

            def wrapper(*args, _orig=orig, _always=always, **kwargs):
                if _always or _has_proxy(list(args) + list(kwargs.values())):
                    return tracer.create_proxy("call_function", _orig, args, kwargs)
                return _orig(*args, **kwargs)
            self._set(torch, name, wrapper)

        def integer(what):
            def f(proxy):
                if proxy.tracer is not tracer:
                    raise TypeError("%s() of a traced value" % what)
                v = tracer.concrete(proxy, what + "()")
                if not isinstance(v, int):
                    raise TypeError("%s() of a traced %s" % (what, type(v).__name__))
                return v
            return f
        self._set(fx.Proxy, "__len__", lambda p: tracer.length(p) if p.tracer is tracer
                  else len(tracer.concrete(p, "len()")))
        self._set(fx.Proxy, "__index__", integer("index"))
        self._set(fx.Proxy, "__int__", integer("int"))
        # fx's __iter__ reads the caller's bytecode at f_lasti // 2, which
        # Python 3.11 broke: the tracer's iter() decides instead.
        self._set(fx.Proxy, "__iter__", lambda p: tracer.iter(p) if p.tracer is tracer
                  else iter(tracer.concrete(p, "iteration")))

        # x[idx] = v: fx 1.13 records no item assignment; a setitem node
        # (export_shapes.setitem, an in-place write).
        def setitem(p, idx, v):
            tracer.create_proxy("call_function", operator.setitem, (p, idx, v), {})
        self._set(fx.Proxy, "__setitem__", setitem)

        # A size in a message (f"length {t}") prints its example value.
        def fmt(p, spec):
            v = tracer.values.get(p.node, _UNKNOWN) if p.tracer is tracer else _UNKNOWN
            if v is _UNKNOWN or isinstance(v, torch.Tensor):
                return format(repr(p), spec)
            return format(v, spec)
        self._set(fx.Proxy, "__format__", fmt)
        return self

    def __exit__(self, *exc):
        for owner, name, orig in reversed(self.saved):
            if orig is _UNKNOWN:
                delattr(owner, name)
            else:
                setattr(owner, name, orig)


def _closure_modules(fn):
    """(name, module) of the nn.Modules a function reads from its closure
    or its globals, in the order its code names them."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    found, seen = [], set()
    cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
    for name in code.co_freevars + code.co_names:
        if name in seen:
            continue
        seen.add(name)
        if name in cells:
            try:
                v = cells[name].cell_contents
            except ValueError:
                continue
        else:
            v = fn.__globals__.get(name)
        if isinstance(v, torch.nn.Module):
            found.append((name, v))
    return found


def owners(fn):
    """The modules whose state tracing `fn` and running it may touch."""
    if isinstance(fn, torch.nn.Module):
        return [fn]
    if inspect.ismethod(fn) and isinstance(fn.__self__, torch.nn.Module):
        return [fn.__self__]
    return [m for _, m in _closure_modules(fn)]


def _defaults_left(root, method, fn, given):
    """{name: default} of the parameters after the `given` positional ones
    that have defaults (`targets=None` when only idx is given): traced with
    that value, so `if targets is not None:` takes the branch PyTorch
    would. None when there are none."""
    if isinstance(root, torch.nn.Module):
        f = getattr(type(root), method or "forward")
        skip = 1  # self
    else:
        f, skip = fn, 0
    try:
        params = list(inspect.signature(f).parameters.values())[skip:]
    except (TypeError, ValueError):
        return None
    left = {}
    for p in params[given:]:
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            break
        if p.default is p.empty:
            return None  # a required argument is missing: export() says so
        left[p.name] = p.default
    return left or None


def trace(fn, example_inputs):
    """(GraphModule of fn with source lines on every node, prefix) where
    prefix is the root path of a function's single closure module, to be
    dropped from parameter names ("" otherwise)."""
    prefix = ""
    extra = []
    root = fn
    method = None
    if inspect.ismethod(fn) and isinstance(fn.__self__, torch.nn.Module):
        root, method = fn.__self__, fn.__func__.__name__
    elif not isinstance(fn, torch.nn.Module):
        if not isinstance(fn, types.FunctionType):
            raise TraceFailure("export() takes an nn.Module, a function or a module's method, "
                               "got %s" % type(fn).__name__)
        extra = _closure_modules(fn)
        # One module with parameters (the model; a loss module has none):
        # its parameters keep their own names.
        owning = [name for name, m in extra if any(True for _ in m.parameters())]
        if len(owning) == 1:
            prefix = owning[0] + "."
    tracer = _Tracer(example_inputs, extra)
    if method is not None:
        tracer.traced_func_name = method
    name = (type(root).__name__ if isinstance(root, torch.nn.Module)
            else getattr(fn, "__name__", "graph"))
    try:
        with _Patches(tracer):
            graph = tracer.trace(root, concrete_args=_defaults_left(root, method, fn,
                                                                   len(example_inputs)))
    except Exception as e:  # fx explains data-dependent control flow etc.
        raise TraceFailure("torch.fx cannot trace %s: %s" % (name, e)) from None
    # tracer.root is the module itself, or the function's root.
    return fx.GraphModule(tracer.root, graph, name), prefix
