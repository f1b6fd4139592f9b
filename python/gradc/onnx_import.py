"""ONNX models (opset 13-17) to gradc JSON graphs.

Used by `gradc import MODEL.onnx -o OUT.json|.grad` (which runs this file
with the system Python) and by gradc.import_onnx(). It needs the `onnx`
and `numpy` packages only: neither PyTorch nor the gradc extension module.

    python3 onnx_import.py MODEL.onnx -o OUT.json [--trainable NAME... | all]
                           [--size NAME=N ...]

- Graph inputs become gradc inputs (a symbolic dimension needs --size).
- Initializers, and Constant nodes that are not scalars, become inputs with
  their values as `init`; those named by --trainable (or every floating
  one with `all`) require grad. An initializer that is only read as a shape
  (Reshape's shape, axes) is read here and does not become an input.
- Each node maps to gradc ops through the OPS table (one row per ONNX
  operator); an unsupported operator is an error naming the node.
- Graph outputs keep their ONNX names.

Exit status: 0 on success, 1 with "error: ..." on stderr otherwise.
"""

import json
import os
import sys
import tempfile

__all__ = ["convert_model", "load_model", "write_json", "OnnxImportError", "main", "OPS"]

MIN_OPSET, MAX_OPSET = 13, 17


class OnnxImportError(Exception):
    """An ONNX model gradc cannot express."""


def load_model(path):
    import onnx
    try:
        return onnx.load(os.fspath(path))
    except Exception as e:
        raise OnnxImportError("%s: not a readable ONNX model (%s)" % (path, e)) from None


try:  # imported as gradc.onnx_import, or run as a script from the package's folder
    from .onnx_ops import DTYPES as _DTYPES, OPS
    from .onnx_fold import FOLD, fold
except ImportError:
    from onnx_ops import DTYPES as _DTYPES, OPS
    from onnx_fold import FOLD, fold

# Operators read only when their operands are constants.
FOLD_ONLY = set(FOLD) - set(OPS)


class Converter:
    def __init__(self, model, trainable, sizes):
        import numpy
        from onnx import numpy_helper
        self.np, self.numpy_helper = numpy, numpy_helper
        self.model = model
        self.graph = model.graph
        self.trainable = set(trainable)
        self.all_trainable = "all" in self.trainable
        self.sizes = dict(sizes)
        self.inputs, self.nodes, self.names = [], [], set()
        self.values = {}     # ONNX value name -> gradc name or Python number
        self.consts = {}     # ONNX value name -> numpy array (initializers, Constants)
        self.shapes = {}     # gradc name -> shape (tuple), where known
        self.elem_types = {}  # ONNX value name -> gradc dtype, where known (inference)
        self.onnx_node = None
        self.used_trainable = set()

    # -- errors and names ----------------------------------------------------
    def error(self, msg):
        n = self.onnx_node
        if n is None:
            return OnnxImportError(msg)
        label = n.name or (n.output[0] if n.output else "?")
        return OnnxImportError("node '%s' (%s): %s" % (label, n.op_type, msg))

    def fresh(self, base):
        name, k = base, 1
        while name in self.names:
            name = "%s_%d" % (base, k)
            k += 1
        self.names.add(name)
        return name

    # -- values ----------------------------------------------------------------
    def add_input(self, name, dtype, shape, init=None, requires_grad=False, fresh=False):
        """Declares an input; `fresh`: the name came from fresh() already."""
        if not fresh:
            if name in self.names:
                raise self.error("two values are named '%s'" % name)
            self.names.add(name)
        d = {"name": name, "dtype": dtype, "shape": list(shape)}
        if requires_grad:
            d["requires_grad"] = True
        if init is not None:
            # JSON inits are numbers: a bool array is written as 0/1.
            d["init"] = (init.astype("uint8") if init.dtype == bool else init).tolist()
        self.inputs.append(d)
        self.shapes[name] = tuple(shape)
        return name

    def const_input(self, name):
        """Materializes a constant as a gradc input (on first use)."""
        arr = self.consts[name]
        dtype = _DTYPES.get(_np_code(self.np, arr.dtype))
        if dtype is None:
            raise self.error("constant '%s' has dtype %s, which gradc does not have" % (name, arr.dtype))
        rg = dtype in ("f32", "f64") and self.is_trainable(name)
        if name in self.trainable:
            self.used_trainable.add(name)
        self.values[name] = self.add_input(name, dtype, arr.shape, arr, rg)
        return self.values[name]

    def is_trainable(self, name):
        """Named by --trainable, or an initializer under --trainable all
        (Constant nodes are never trainable)."""
        return name in self.trainable or (self.all_trainable and name in self.initializers)

    def get(self, name):
        """The gradc operand for ONNX value `name` (a scalar constant inlines
        as a number)."""
        if name in self.values:
            return self.values[name]
        if name in self.consts:
            arr = self.consts[name]
            # gradc's operands are numbers or names: a bool scalar (no
            # JSON literal for it) becomes an input like other constants.
            if arr.ndim == 0 and not self.is_trainable(name) and arr.dtype != self.np.bool_:
                v = arr.item()
                if isinstance(v, float) and v in (float("inf"), float("-inf")):
                    # gradc's JSON has no infinities (a -inf attention
                    # mask): the dtype's extreme finite value gives the same
                    # softmax and gradients (docs/python.md).
                    big = float(self.np.finfo(arr.dtype).max)
                    return big if v > 0 else -big
                return v
            return self.const_input(name)
        raise self.error("the value '%s' is not defined before its use" % name)

    def tensor(self, name):
        v = self.get(name)
        if not isinstance(v, str):
            # A value only some readers take (a Pad's) says why.
            raise self.error(getattr(v, "refusal", None) or "expected a tensor for '%s'" % name)
        return v

    def const(self, name, what):
        """A constant operand read at import time (a shape, axes)."""
        if name not in self.consts:
            raise self.error("%s must be a constant (an initializer or a Constant node)" % what)
        return self.consts[name]

    def dtype(self, name):
        """The gradc dtype of ONNX value `name` (a constant's, or from shape
        inference), or None when it is not known."""
        if name in self.consts:
            return _DTYPES.get(_np_code(self.np, self.consts[name].dtype))
        if name in self.elem_types:
            return self.elem_types[name]
        v = self.values.get(name)
        return next((d["dtype"] for d in self.inputs if d["name"] == v), None)

    def shape(self, v):
        if not isinstance(v, str):
            return ()
        if v not in self.shapes:
            raise self.error("the shape of '%s' is not known (run onnx shape inference)" % v)
        return self.shapes[v]

    def emit(self, op, inputs, attrs=None, name=None):
        name = self.fresh(name or (self.onnx_node.output[0] + "__" + op))
        d = {"name": name, "op": op, "inputs": list(inputs)}
        if attrs:
            d["attrs"] = attrs
        self.nodes.append(d)
        return name

    # -- the walk ----------------------------------------------------------------
    def run(self):
        np, g = self.np, self.graph
        opsets = {o.domain: o.version for o in self.model.opset_import}
        version = opsets.get("", opsets.get("ai.onnx", 0))
        if not MIN_OPSET <= version <= MAX_OPSET:
            raise OnnxImportError("the model uses opset %d; gradc imports opsets %d to %d "
                               "(convert it with onnx.version_converter)" % (version, MIN_OPSET, MAX_OPSET))
        for t in g.initializer:
            self.consts[t.name] = self.numpy_helper.to_array(t)
        self.initializers = set(self.consts)
        unknown = self.trainable - {"all"} - set(self.consts)
        if unknown:
            raise OnnxImportError("--trainable names no initializer: %s (initializers: %s)"
                               % (", ".join(sorted(unknown)), ", ".join(sorted(self.consts)) or "none"))
        for vi in list(g.value_info) + list(g.output):
            s = _static_shape(vi, self.sizes, None)
            if s is not None:
                self.shapes.setdefault(vi.name, s)
        for vi in list(g.value_info) + list(g.output) + list(g.input):
            dt = _DTYPES.get(vi.type.tensor_type.elem_type)
            if dt is not None:
                self.elem_types[vi.name] = dt
        for i in g.input:
            if i.name in self.consts:
                continue  # older exporters list initializers as inputs too
            tt = i.type.tensor_type
            dtype = _DTYPES.get(tt.elem_type)
            if dtype is None:
                raise OnnxImportError("input '%s' has an element type gradc does not have" % i.name)
            shape = _static_shape(i, self.sizes, OnnxImportError)
            self.values[i.name] = self.add_input(i.name, dtype, shape)
        for n in g.node:
            self.onnx_node = n
            if n.domain not in ("", "ai.onnx"):
                raise self.error("operators of domain '%s' are not supported" % n.domain)
            handler = OPS.get(n.op_type)
            if handler is None and n.op_type not in FOLD_ONLY:
                raise self.error("gradc has no mapping for the ONNX operator %s" % n.op_type)
            if handler is None:
                handler = _not_constant
            attrs = {a.name: _attr(a) for a in n.attribute}
            out = fold(self, n, attrs)  # all operands constant: computed now
            if out is None:
                out = handler(self, n, attrs)
            if isinstance(out, np.ndarray):   # folded at import time
                self.consts[n.output[0]] = out
                continue
            if isinstance(out, tuple):        # several outputs (Split)
                for name, v in zip(n.output, out):
                    self.values[name] = v
                continue
            self.bind_output(n.output[0], out)
        self.onnx_node = None
        outputs = []
        for o in g.output:
            v = self.get(o.name)
            if hasattr(v, "refusal"):
                raise OnnxImportError("output '%s': %s" % (o.name, v.refusal))
            if not isinstance(v, str) or v in [d["name"] for d in self.inputs]:
                # An output that is an input or a constant: x + 0, exact.
                v = self.emit("add", [v, 0], name=self.fresh_output(o.name))
            outputs.append(v)
        return {"name": _graph_name(g.name), "inputs": self.inputs,
                "nodes": self.nodes, "outputs": outputs}

    def fresh_output(self, name):
        return name if name not in self.names else name + "_out"

    def bind_output(self, onnx_name, v):
        """Names the last node after the ONNX value it produces."""
        if isinstance(v, str) and self.nodes and self.nodes[-1]["name"] == v \
                and onnx_name not in self.names:
            self.names.discard(v)
            self.names.add(onnx_name)
            self.nodes[-1]["name"] = onnx_name
            if v in self.shapes:
                self.shapes.setdefault(onnx_name, self.shapes[v])
            v = onnx_name
        self.values[onnx_name] = v


def _not_constant(c, n, a):
    raise c.error("%s is only supported on constants (folded at import time)" % n.op_type)


def _np_code(np, dt):
    return {np.dtype("float32"): 1, np.dtype("float64"): 11, np.dtype("int32"): 6,
            np.dtype("int64"): 7, np.dtype("bool"): 9}.get(np.dtype(dt))


def _static_shape(vi, sizes, err):
    """The shape of a ValueInfo; symbolic dims from --size, else err."""
    tt = vi.type.tensor_type
    if not tt.HasField("shape"):
        if err:
            raise err("input '%s' has no shape" % vi.name)
        return None
    shape = []
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            shape.append(d.dim_value)
        elif d.dim_param and d.dim_param in sizes:
            shape.append(sizes[d.dim_param])
        else:
            if err:
                raise err("input '%s' has the symbolic dimension '%s': give its size with "
                          "--size %s=N" % (vi.name, d.dim_param or "?", d.dim_param or "NAME"))
            return None
    return tuple(shape)


def _attr(a):
    from onnx import helper
    v = helper.get_attribute_value(a)
    if isinstance(v, bytes):
        return v.decode()
    if hasattr(v, "dims"):  # a TensorProto
        from onnx import numpy_helper
        return numpy_helper.to_array(v)
    return v


def _graph_name(name):
    import re
    n = re.sub(r"[^A-Za-z0-9_]", "_", name or "")
    return n if n and not n[0].isdigit() else "onnx_" + n


def convert_model(model, trainable=(), sizes=None):
    """The gradc JSON graph (a dict) of an onnx.ModelProto."""
    try:
        import onnx
        # data_prop: shapes computed by Shape/Concat/Reshape chains (a view
        # with the batch size read from the input) propagate too.
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception:
        try:
            model = onnx.shape_inference.infer_shapes(model)
        except Exception:
            pass  # shapes then come from the graph's own value_info only
    c = Converter(model, trainable, sizes or {})
    return c.run()


def write_json(graph, path):
    """Writes the graph to `path` atomically (no partial file on failure)."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".gradc-import-", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(graph, f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(prog="gradc import", description="ONNX model to gradc JSON graph")
    p.add_argument("model")
    p.add_argument("-o", dest="out", required=True)
    p.add_argument("--trainable", nargs="+", default=[])
    p.add_argument("--size", action="append", default=[])
    args = p.parse_args(argv)
    try:
        sizes = {}
        for s in args.size:
            k, _, v = s.partition("=")
            if not k or not v.isdigit():
                raise OnnxImportError("--size expects NAME=N, got '%s'" % s)
            sizes[k] = int(v)
        trainable = [t for item in args.trainable for t in item.split(",") if t]
        g = convert_model(load_model(args.model), trainable, sizes)
        write_json(g, args.out)
    except OnnxImportError as e:
        msg = str(e)
        if not msg.startswith(args.model):
            msg = "%s: %s" % (args.model, msg)
        sys.stderr.write("error: %s\n" % msg)
        return 1
    except ImportError as e:  # the onnx package itself is missing
        sys.stderr.write("error: gradc import needs the Python packages onnx and numpy "
                         "(Debian: python3-onnx): %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
