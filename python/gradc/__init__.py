"""gradc for Python: compile a tensor graph, run it on NumPy arrays.

    import gradc, numpy as np
    g = gradc.compile("examples/seed.json")       # a path, or a dict in the JSON format
    r = g.run(inputs={"x": np.ones((2, 2), np.float32)})
    r.outputs["out"], r.grads["x"]                 # NumPy arrays

    g.forward()                                    # retain_graph style
    g.backward(["out"])                            # out.backward(): .grad accumulates
    g.backward(seeds={"z": s})                     # z.backward(s)
    g.grads["x"] = None                            # x.grad = None

    outs, tans = gradc.jvp("g.json", inputs, tangents)   # forward mode
    gradc.jacobian("g.json", "out", "x"), gradc.hessian("g.json", "loss", "w")

    gradc.export(module_or_fn, example_inputs, "model.json")   # from PyTorch (torch.fx)
    gradc.import_onnx("model.onnx", "model.json")                # from ONNX

Errors in graphs, names, dtypes and shapes raise gradc.Error (a ValueError)
with gradc's message. See docs/python.md.
"""

import json as _json
import os as _os

# OpenBLAS's idle workers spin for 2^OPENBLAS_THREAD_TIMEOUT cycles before
# they sleep (2^28 by default), taking a core from gradc's own thread pool
# between GEMMs; gradc's runtime asks for 2^18 when it loads OpenBLAS
# (runtime/Blas.cpp), which only takes effect if nothing in the process
# loaded it first. NumPy does, when the extension below imports it: set the
# same value before that, unless the user chose one.
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "18")

from . import _gradc  # noqa: E402
from ._gradc import Error, RunResult
from ._gradc import CompiledGraph
from .fx_export import ExportError
from .sized import SizedGraph

__all__ = ["compile", "compile_jvp", "jvp", "jacobian", "hessian",
           "export", "import_onnx", "CompiledGraph", "SizedGraph", "RunResult",
           "Error", "ExportError", "__version__"]
__version__ = _gradc.__version__

# One Compiler (it holds the JIT) per option set, made on first use.
_compilers = {}


def _compiler(opt_level, cache, cache_dir):
    key = (opt_level, bool(cache), cache_dir or "")
    c = _compilers.get(key)
    if c is None:
        c = _gradc.Compiler(opt_level, bool(cache), cache_dir or "")
        _compilers[key] = c
    return c


def compile(graph, *, sizes=None, opt_level=1, cache=True, cache_dir=None):
    """Compiles a graph and returns a CompiledGraph.

    graph: a path (str or os.PathLike) to a .json, .grad (DSL) or .gir file,
    or a dict in the JSON graph format (docs/formats.md).
    sizes: values of size variables (dict name -> int). A graph whose input
    shapes name size variables ("shape": ["B", 784]) gives a SizedGraph,
    which binds the other sizes from the shapes of each call's inputs
    (docs/symbolic-sizes.md).
    opt_level: clang -O level of the generated code (0..3).
    cache: use the on-disk compile cache ($GRADC_CACHE_DIR, else
    ~/.cache/gradc, or cache_dir).
    """
    c = _compiler(opt_level, cache, cache_dir)
    source, kind, name = _source(graph)
    signature = _gradc.Signature(source, kind, name)
    if signature.symbolic:
        return SizedGraph(c, source, kind, name, signature, sizes)
    if sizes:
        signature.bind({str(k): int(v) for k, v in dict(sizes).items()}, {})
    if kind == "file":
        return c.compile_file(source)
    return c.compile_text(source, kind, name)


def _source(graph):
    """(source, kind, name) for the extension: a path, or a dict as JSON."""
    if isinstance(graph, dict):
        try:
            text = _json.dumps(graph, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise Error("the graph dict is not JSON: %s" % e) from None
        return text, "json", "<dict %s>" % graph.get("name", "graph")
    if isinstance(graph, (str, _os.PathLike)):
        path = _os.fspath(graph)
        return path, "file", path
    raise TypeError("gradc takes a graph as a path or a dict in the JSON graph "
                    "format, not %s" % type(graph).__name__)


_TANGENT = "tangent:"


def compile_jvp(graph, *, opt_level=1, cache=True, cache_dir=None):
    """Compiles the forward-mode graph of `graph` (as `gradc compile --jvp`):
    a CompiledGraph whose inputs add "tangent:NAME" for every requires_grad
    input NAME (zeros unless given) and whose outputs add "tangent:OUT", the
    Jacobian-vector product of every output. Reuse it for many tangents;
    gradc.jvp() is the one-call form."""
    return _compiler(opt_level, cache, cache_dir).compile_jvp(*_source(graph))


def jvp(graph, inputs=None, tangents=None, *, opt_level=1, cache=True,
        cache_dir=None):
    """The outputs of `graph` and their tangents along `tangents` (dict input
    name -> array; inputs without one have a zero tangent), as
    torch.autograd.functional.jvp computes them, in one forward-mode run.
    Returns (outputs, tangents), two dicts by output name."""
    g = compile_jvp(graph, opt_level=opt_level, cache=cache, cache_dir=cache_dir)
    feed = dict(inputs or {})
    for name, v in (tangents or {}).items():
        feed[_TANGENT + name] = v
    r = g.run(inputs=feed, backward=[])
    outs = {k: v for k, v in r.outputs.items() if not k.startswith(_TANGENT)}
    tans = {k[len(_TANGENT):]: v for k, v in r.outputs.items() if k.startswith(_TANGENT)}
    return outs, tans


def jacobian(graph, of, wrt, inputs=None, *, mode="auto", opt_level=1,
             cache=True, cache_dir=None):
    """d of / d wrt at `inputs` (others at their init), an array of shape
    [*of.shape, *wrt.shape] as torch.autograd.functional.jacobian returns it;
    `wrt` must require grad. mode: "rev" (one batched sweep of VJPs), "fwd"
    (of JVPs) or "auto" (fwd when wrt has fewer elements)."""
    c = _compiler(opt_level, cache, cache_dir)
    return c.jacobian(*_source(graph), of, wrt, inputs, mode)


def hessian(graph, of, wrt, inputs=None, *, opt_level=1, cache=True,
            cache_dir=None):
    """The Hessian of the one-element output `of` with respect to `wrt`, an
    array of shape [*wrt.shape, *wrt.shape] (forward over reverse, one
    batched sweep), as torch.autograd.functional.hessian returns it."""
    c = _compiler(opt_level, cache, cache_dir)
    return c.hessian(*_source(graph), of, wrt, inputs)


class _Grads:
    """g.grads: the `.grad` of every requires_grad input, by name.

    Reading gives the array (the graph's buffer, updated in place by later
    calls) or raises KeyError while it is None; `g.grads["x"] = None`
    resets it as `x.grad = None` does; assigning an array copies it in.
    """

    __slots__ = ("_g",)

    def __init__(self, g):
        self._g = g

    def __getitem__(self, name):
        v = self._g.grad(name)
        if v is None:
            raise KeyError(name)
        return v

    def get(self, name, default=None):
        v = self._g.grad(name)
        return default if v is None else v

    def __setitem__(self, name, value):
        self._g.set_grad(name, value)

    def __delitem__(self, name):
        self._g.set_grad(name, None)

    def __contains__(self, name):
        return self._g.grad(name) is not None

    def __iter__(self):
        return iter(self._g._grads())

    def __len__(self):
        return len(self._g._grads())

    def keys(self):
        return self._g._grads().keys()

    def items(self):
        return self._g._grads().items()

    def __repr__(self):
        return "grads(%r)" % (self._g._grads(),)


def _graph_repr(g):
    return "<gradc.CompiledGraph %r: inputs %s, outputs %s>" % (
        g.name, [i["name"] for i in g.inputs], [o["name"] for o in g.outputs])


# Python-side conveniences on the compiled type.
CompiledGraph.grads = property(_Grads, doc=_Grads.__doc__)
CompiledGraph.__repr__ = _graph_repr
SizedGraph.grads = property(_Grads, doc=_Grads.__doc__)


def export(module_or_fn, example_inputs, path=None, **kwargs):
    """Traces a PyTorch nn.Module or function with torch.fx and writes a gradc
    JSON graph (see the gradc.fx_export module). Returns the graph as a dict."""
    from .fx_export import export as _export
    return _export(module_or_fn, example_inputs, path, **kwargs)


def import_onnx(model, path=None, trainable=(), sizes=None):
    """Converts an ONNX model (a path or onnx.ModelProto) to a gradc JSON
    graph dict; writes it to path (.json) when given. trainable: names of
    initializers that require grad, or ["all"]; sizes: {dim_param: N} for
    symbolic dimensions. The same conversion as `gradc import`."""
    from .onnx_import import OnnxImportError, convert_model, load_model, write_json
    try:
        m = load_model(model) if isinstance(model, (str, _os.PathLike)) else model
        g = convert_model(m, trainable=trainable, sizes=sizes)
    except OnnxImportError as e:
        raise Error(str(e)) from None
    if path is not None:
        write_json(g, _os.fspath(path))
    return g
