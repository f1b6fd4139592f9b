"""gradc for Python: compile a tensor graph, run it on NumPy arrays.

    import gradc, numpy as np
    g = gradc.compile("examples/seed.json")       # a path, or a dict in the JSON format
    r = g.run(inputs={"x": np.ones((2, 2), np.float32)})
    r.outputs["out"], r.grads["x"]                 # NumPy arrays

    g.forward()                                    # retain_graph style
    g.backward(["out"])                            # out.backward(): .grad accumulates
    g.backward(seeds={"z": s})                     # z.backward(s)
    g.grads["x"] = None                            # x.grad = None

    gradc.export(module_or_fn, example_inputs, "model.json")   # from PyTorch (torch.fx)
    gradc.import_onnx("model.onnx", "model.json")                # from ONNX

Errors in graphs, names, dtypes and shapes raise gradc.Error (a ValueError)
with gradc's message. See docs/python.md.
"""

import json as _json
import os as _os

from . import _gradc
from ._gradc import Error, RunResult
from ._gradc import CompiledGraph
from .fx_export import ExportError

__all__ = ["compile", "export", "import_onnx", "CompiledGraph", "RunResult",
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


def compile(graph, *, opt_level=1, cache=True, cache_dir=None):
    """Compiles a graph and returns a CompiledGraph.

    graph: a path (str or os.PathLike) to a .json, .grad (DSL) or .gir file,
    or a dict in the JSON graph format (docs/formats.md).
    opt_level: clang -O level of the generated code (0..3).
    cache: use the on-disk compile cache ($GRADC_CACHE_DIR, else
    ~/.cache/gradc, or cache_dir).
    """
    c = _compiler(opt_level, cache, cache_dir)
    if isinstance(graph, dict):
        try:
            text = _json.dumps(graph, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise Error("the graph dict is not JSON: %s" % e) from None
        return c.compile_text(text, "json", "<dict %s>" % graph.get("name", "graph"))
    if isinstance(graph, (str, _os.PathLike)):
        return c.compile_file(_os.fspath(graph))
    raise TypeError("gradc.compile() takes a path or a dict in the JSON graph "
                    "format, not %s" % type(graph).__name__)


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
