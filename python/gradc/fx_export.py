"""gradc.export (this module: gradc.fx_export): a PyTorch function or nn.Module to a gradc JSON graph.

    gradc.export(model, (x, target), "model.json")

The callable is traced with torch.fx (symbolically, so Python control flow
must not depend on tensor values) and run once on the example inputs to
learn every shape. Then each traced operation is looked up in the tables of
gradc/export_ops.py and written as gradc nodes:

- parameters become `requires_grad` inputs (as in the module) named by their
  qualified names from named_parameters() (`fc1.weight`), with their current
  values as `init`; buffers become inputs without grad, also with `init`;
- the function's arguments become inputs named as its parameters, with the
  example input's dtype, shape and requires_grad;
- the result is the output `output` (one tensor) or `output0`, `output1`, ...
  (a tuple or list); after it come the updated running statistics of each
  batch_norm in training mode, `new.Q.running_mean` and `new.Q.running_var`
  for the buffers `Q.running_mean` and `Q.running_var` (export_losses.py).

What gradc cannot express raises ExportError naming the operation, the
module and the Python source line, and nothing is written. PyTorch is needed
here only; the graph it writes is plain JSON for any gradc.
"""

import json
import os
import re
import tempfile

from . import _gradc

__all__ = ["export", "ExportError"]


class ExportError(_gradc.Error):
    """The callable uses something gradc cannot express (a gradc.Error)."""


_DTYPES = None


def _dtype_name(torch, dt, what):
    global _DTYPES
    if _DTYPES is None:
        _DTYPES = {torch.float32: "f32", torch.float64: "f64", torch.int32: "i32",
                   torch.int64: "i64", torch.bool: "bool"}
    name = _DTYPES.get(dt)
    if name is None:
        raise ExportError("%s has dtype %s, which gradc does not have "
                          "(f32, f64, i32, i64, bool)" % (what, dt))
    return name


def _where(node):
    """' at FILE:LINE (in FUNC: CODE)': the innermost frame of the user's
    code in the node's recorded stack trace (fx lists innermost first)."""
    lines = (getattr(node, "stack_trace", None) or "").splitlines()
    here = os.path.dirname(os.path.abspath(__file__))
    for k, text in enumerate(lines):
        m = re.match(r'\s*File "([^"]+)", line (\d+), in (.+)$', text)
        if not m:
            continue
        f, line, func = m.groups()
        if os.sep + "torch" + os.sep in f or os.path.dirname(os.path.abspath(f)) == here:
            continue
        code = ""
        if k + 1 < len(lines) and not lines[k + 1].lstrip().startswith("File "):
            code = ": " + lines[k + 1].strip()
        return " at %s:%s (in %s%s)" % (f, line, func, code)
    return ""


class Emitter:
    """Builds the gradc JSON graph while the fx graph is walked.

    Values are referred to by their gradc names (str) or are Python numbers
    (scalar constants). `meta` holds the concrete value every fx node had
    when the example inputs ran, so shapes, sizes and other non-tensor
    results are known.
    """

    def __init__(self, torch, root):
        self.torch = torch
        self.root = root
        self.inputs = []
        self.nodes = []
        self.names = set()
        self.shapes = {}   # gradc name -> tuple shape
        self.dtypes = {}   # gradc name -> gradc dtype name
        self.node = None   # the fx node being converted (for messages)
        self.extra_outputs = []  # running statistics of batch_norm (export_losses.py)
        self.dropout_seed = None  # the run-time seed input of dropout, if any

    # -- naming ------------------------------------------------------------
    def fresh(self, base):
        base = base or "t"
        name, k = base, 1
        while name in self.names:
            name = "%s_%d" % (base, k)
            k += 1
        self.names.add(name)
        return name

    # -- errors ------------------------------------------------------------
    def error(self, message):
        n = self.node
        what = ("'%s' (%s)" % (n.name, describe_target(self.root, n))) if n is not None else "the graph"
        return ExportError("cannot export %s: %s%s" % (what, message, _where(n) if n is not None else ""))

    # -- inputs --------------------------------------------------------------
    def add_input(self, name, tensor, requires_grad, init, fresh=False):
        """Declares an input; `fresh`: the name came from fresh() already."""
        torch = self.torch
        if not fresh:
            if name in self.names:
                raise self.error("two inputs are named '%s'" % name)
            self.names.add(name)
        d = {"name": name, "dtype": _dtype_name(torch, tensor.dtype, "input '%s'" % name),
             "shape": list(tensor.shape)}
        if requires_grad:
            d["requires_grad"] = True
        if init:
            t = tensor.detach().cpu()
            # JSON inits are numbers: a bool tensor is written as 0/1.
            d["init"] = (t.to(torch.uint8) if t.dtype == torch.bool else t).tolist()
        self.inputs.append(d)
        self.shapes[name] = tuple(tensor.shape)
        self.dtypes[name] = d["dtype"]
        return name

    # -- nodes ---------------------------------------------------------------
    def emit(self, op, inputs, attrs=None, shape=None, dtype=None, base=None):
        """Appends a node and returns its name. `shape`/`dtype` record what
        PyTorch computed for it (known for the node's fx result)."""
        name = self.fresh(base or (self.node.name if self.node is not None else op))
        d = {"name": name, "op": op, "inputs": list(inputs)}
        if attrs:
            d["attrs"] = attrs
        self.nodes.append(d)
        if shape is not None:
            self.shapes[name] = tuple(shape)
        if dtype is not None:
            self.dtypes[name] = dtype
        return name

    def shape(self, v):
        """The static shape of a gradc value (() for numbers)."""
        if isinstance(v, str):
            return self.shapes[v]
        return ()

    def tensor(self, v, what="operand"):
        """Checks that v is a tensor value (a gradc name)."""
        if not isinstance(v, str):
            raise self.error("%s must be a tensor, got %r" % (what, v))
        return v


def describe_target(root, node):
    """A readable name of what an fx node calls: torch.relu, Tensor.view,
    torch.nn.Conv2d, ..."""
    t = node.target
    if node.op == "call_module":
        m = root.get_submodule(t)
        cls = type(m)
        return "%s.%s" % (cls.__module__.replace("torch.nn.modules.", "torch.nn.").rsplit(".", 1)[0]
                          if cls.__module__.startswith("torch.nn.modules") else cls.__module__,
                          cls.__name__)
    if node.op == "call_method":
        return "Tensor.%s" % t
    if node.op == "call_function":
        mod = getattr(t, "__module__", None) or ""
        name = getattr(t, "__name__", repr(t))
        if mod in ("_operator", "operator"):
            return "operator.%s" % name
        if mod.startswith("torch.nn.functional") or mod == "torch.nn.functional":
            return "torch.nn.functional.%s" % name
        if mod.startswith("torch"):
            return "torch.%s" % name
        return "%s.%s" % (mod, name) if mod else name
    return node.op


def _concrete_values(torch, gm, example_inputs):
    """Runs gm on the example inputs and returns {fx node: its value}."""
    import torch.fx as fx
    values = {}

    current = [None]

    class Recorder(fx.Interpreter):
        def run_node(self, n):
            current[0] = n
            v = super().run_node(n)
            values[n] = v
            return v

    try:
        with torch.no_grad():
            Recorder(gm).run(*example_inputs)
    except Exception as e:  # the callable fails on its examples (a size mismatch)
        n = current[0]
        what = "'%s' (%s)" % (n.name, describe_target(gm, n)) if n is not None else "the graph"
        first = str(e).split("\n\nWhile executing")[0].strip()
        raise ExportError("cannot export %s: running it on the example inputs failed: %s%s"
                          % (what, first, _where(n) if n is not None else "")) from None
    return values


def export(module_or_fn, example_inputs, path=None, *, name=None, input_init=False,
           dropout_seed=None):
    """Traces `module_or_fn` and returns the gradc JSON graph as a dict;
    writes it to `path` (.json) when given, atomically (a temporary file
    renamed into place, so a failed export leaves no partial file).

    example_inputs: a tuple of the positional arguments (a lone tensor is
    accepted). input_init: also store the example inputs' values as the
    arguments' `init` (so the graph runs without inputs). dropout_seed: the
    name of an i64 scalar input (init 0) added as the run-time seed of every
    dropout in training mode, so that a caller draws a new mask per step by
    passing a new value; without it the masks are fixed.
    """
    import torch
    from . import export_context, export_trace

    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    example_inputs = tuple(example_inputs)
    if not (isinstance(module_or_fn, torch.nn.Module) or callable(module_or_fn)):
        raise TypeError("export() takes an nn.Module, a function or a module's method")

    # Tracing computes every value on the examples, and so does the example
    # run after it; both must leave the module as it was: batch_norm in
    # training mode updates its buffers in place (the exported inits are the
    # values before the step), dropout draws from the global generator.
    saved = [(b, b.detach().clone()) for m in export_trace.owners(module_or_fn)
             for b in m.buffers()]
    with torch.random.fork_rng(devices=[]):
        try:
            # On copies: an in-place op of the callable must not change them.
            gm, prefix = export_trace.trace(module_or_fn, _copies(torch, example_inputs))
            values = _concrete_values(torch, gm, _copies(torch, example_inputs))
        except export_trace.TraceFailure as e:
            raise ExportError(str(e)) from None
        finally:
            with torch.no_grad():
                for b, v in saved:
                    b.copy_(v)
    em = Emitter(torch, gm)
    if dropout_seed is not None:
        if not isinstance(dropout_seed, str) or not dropout_seed:
            raise TypeError("dropout_seed is the name of an input (a str)")
        em.dropout_seed = dropout_seed
    params = dict(gm.named_parameters())
    buffers = dict(gm.named_buffers())
    ctx = export_context.Context(em, gm, params, buffers, values, prefix)

    # Arguments first, in signature order, then parameters as they are used.
    env = {}
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    # Parameters left to their defaults (forward(self, idx, targets=None)
    # given idx alone) were traced with the default's value (export_trace).
    given = list(example_inputs) + [n.args[0] for n in placeholders[len(example_inputs):]
                                    if n.args]
    if len(placeholders) != len(given) or len(example_inputs) > len(placeholders):
        raise ExportError("the callable takes %d arguments, example_inputs has %d"
                          % (len(placeholders), len(example_inputs)))
    for n, x in zip(placeholders, given):
        em.node = n
        if not isinstance(x, torch.Tensor):
            env[n] = x  # a number or other constant argument: baked in
            continue
        arg = n.target.lstrip("*")
        env[n] = em.add_input(arg, x, x.requires_grad, input_init)

    result = None
    for n in gm.graph.nodes:
        em.node = n
        if n.op == "placeholder":
            continue
        if n.op == "output":
            result = ctx.resolve(n.args[0], env)
            break
        env[n] = export_context.convert(ctx, n, env)

    em.node = None
    outputs = _name_outputs(em, result) + em.extra_outputs
    graph = {"name": name or _graph_name(gm), "inputs": em.inputs,
             "nodes": em.nodes, "outputs": outputs}
    try:
        text = json.dumps(graph, allow_nan=False)
    except ValueError:
        raise ExportError("the graph holds an infinite or NaN number (a constant or an init "
                          "value), which gradc's JSON format cannot write") from None
    if path is not None:
        _write_atomically(os.fspath(path), text)
    return graph


def _copies(torch, values):
    return tuple(v.detach().clone() if isinstance(v, torch.Tensor) else v for v in values)


def _graph_name(gm):
    n = re.sub(r"[^A-Za-z0-9_]", "_", type(gm).__name__ if type(gm).__name__ != "GraphModule" else "graph")
    return n or "graph"


def _name_outputs(em, result):
    """Names the result `output` or `output0`, `output1`, ... (a dict: its
    keys) by renaming the nodes that compute it (an input or a repeated
    value gets a copy)."""
    if isinstance(result, dict):  # {"loss": loss, "logits": logits}: named by the keys
        if not all(isinstance(k, str) and k for k in result):
            raise ExportError("a dict result needs non-empty str keys")
        values, names = list(result.values()), list(result)
    elif isinstance(result, (tuple, list)):
        values, names = list(result), ["output%d" % i for i in range(len(result))]
    else:
        values, names = [result], ["output"]
    renamed = {}
    node_of = {d["name"]: d for d in em.nodes}
    for v, want in zip(values, names):
        if v is None and len(values) > 1:  # (logits, None): no output there
            names = [x for x in names if x != want]
            continue
        if not isinstance(v, str):
            raise ExportError("the result must be a tensor or a tuple of tensors, got %r" % (v,))
        if want in em.names and want not in renamed.values():
            # A user name already called `output`: move it aside.
            _rename(em, node_of, want, em.fresh(want + "_"))
            node_of = {d["name"]: d for d in em.nodes}
        # A batch_norm node whose running statistics are outputs keeps its
        # name (they are named after it): the output is a copy then.
        keeps_name = any(o.startswith(v + ".") for o in em.extra_outputs)
        if v in node_of and v not in renamed and not keeps_name:
            _rename(em, node_of, v, want)
            renamed[v] = want
        else:
            # An input, or a value that is already another output: a copy.
            # x + 0 is exact and differentiates to the identity.
            d = {"name": want, "op": "add", "inputs": [renamed.get(v, v), 0]}
            em.nodes.append(d)
        em.names.add(want)
        node_of = {d["name"]: d for d in em.nodes}
    return names


def _rename(em, node_of, old, new):
    node_of[old]["name"] = new
    for d in em.nodes:
        d["inputs"] = [new if i == old else i for i in d["inputs"]]
    em.names.discard(old)
    em.names.add(new)


def _write_atomically(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".gradc-export-", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
