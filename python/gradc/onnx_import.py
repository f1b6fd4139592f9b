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


# ONNX TensorProto element types gradc has.
_DTYPES = {1: "f32", 11: "f64", 6: "i32", 7: "i64", 9: "bool"}


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
            if arr.ndim == 0 and not self.is_trainable(name):
                v = arr.item()
                if arr.dtype == self.np.bool_:
                    return bool(v)
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
            raise self.error("expected a tensor for '%s'" % name)
        return v

    def const(self, name, what):
        """A constant operand read at import time (a shape, axes)."""
        if name not in self.consts:
            raise self.error("%s must be a constant (an initializer or a Constant node)" % what)
        return self.consts[name]

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
            if handler is None:
                raise self.error("gradc has no mapping for the ONNX operator %s" % n.op_type)
            attrs = {a.name: _attr(a) for a in n.attribute}
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


# -- operator handlers: handler(conv, node, attrs) -> gradc value or ndarray -----
def unary(op):
    return lambda c, n, a: c.emit(op, [c.tensor(n.input[0])])


def binary(op):
    def h(c, n, a):
        x, y = c.get(n.input[0]), c.get(n.input[1])
        return c.emit(op, [x, y])
    return h


def variadic(op):
    def h(c, n, a):
        vals = [c.get(i) for i in n.input]
        acc = vals[0]
        for v in vals[1:]:
            acc = c.emit(op, [acc, v])
        return acc if len(vals) > 1 else c.emit("add", [acc, 0])
    return h


def gemm(c, n, a):
    """Y = alpha op(A) op(B) + beta C."""
    A, B = c.tensor(n.input[0]), c.tensor(n.input[1])
    if a.get("transA", 0):
        A = c.emit("transpose", [A], {"dim0": 0, "dim1": 1})
    if a.get("transB", 0):
        B = c.emit("transpose", [B], {"dim0": 0, "dim1": 1})
    y = c.emit("matmul", [A, B])
    if a.get("alpha", 1.0) != 1.0:
        y = c.emit("mul", [y, a["alpha"]])
    if len(n.input) > 2 and n.input[2]:
        C = c.get(n.input[2])
        if a.get("beta", 1.0) != 1.0:
            C = c.emit("mul", [C, a["beta"]])
        y = c.emit("add", [y, C])
    return y


def softmax(op):
    def h(c, n, a):
        return c.emit(op, [c.tensor(n.input[0])], {"dim": a.get("axis", -1)})
    return h


def leaky_relu(c, n, a):
    x = c.tensor(n.input[0])
    pos = c.emit("gt", [x, 0])
    neg = c.emit("mul", [x, a.get("alpha", 0.01)])
    return c.emit("where", [pos, x, neg])


def transpose(c, n, a):
    x = c.tensor(n.input[0])
    perm = a.get("perm")
    if perm is None:
        perm = list(range(len(c.shape(x))))[::-1]
    return c.emit("permute", [x], {"dims": list(perm)})


def reshape(c, n, a):
    x = c.tensor(n.input[0])
    shape = [int(s) for s in c.const(n.input[1], "Reshape's shape")]
    if 0 in shape and not a.get("allowzero", 0):
        src = c.shape(x)
        shape = [src[i] if s == 0 else s for i, s in enumerate(shape)]
    return c.emit("reshape", [x], {"shape": shape})


def flatten(c, n, a):
    x = c.tensor(n.input[0])
    s = c.shape(x)
    axis = a.get("axis", 1) % (len(s) + 1) if s else 0
    outer = 1
    for d in s[:axis]:
        outer *= d
    inner = 1
    for d in s[axis:]:
        inner *= d
    return c.emit("reshape", [x], {"shape": [outer, inner]})


def reduce(op, axes_input_from):
    """ReduceSum takes axes as an input from opset 13, the others from 18."""
    def h(c, n, a):
        x = c.tensor(n.input[0])
        version = {o.domain: o.version for o in c.model.opset_import}.get("", 13)
        if version >= axes_input_from:
            axes = list(c.const(n.input[1], "axes")) if len(n.input) > 1 and n.input[1] else None
        else:
            axes = a.get("axes")
        attrs = {}
        if axes:
            attrs["dim"] = [int(d) for d in axes]
        elif a.get("noop_with_empty_axes", 0):
            return c.emit("add", [x, 0])
        if a.get("keepdims", 1):
            attrs["keepdim"] = True
        return c.emit(op, [x], attrs)
    return h


def squeeze(c, n, a):
    x = c.tensor(n.input[0])
    if len(n.input) > 1 and n.input[1]:
        return c.emit("squeeze", [x], {"dim": [int(d) for d in c.const(n.input[1], "axes")]})
    return c.emit("squeeze", [x])


def unsqueeze(c, n, a):
    x = c.tensor(n.input[0])
    axes = sorted(int(d) for d in c.const(n.input[1], "axes"))
    rank = len(c.shape(x)) + len(axes)
    for d in sorted(d % rank for d in axes):
        x = c.emit("unsqueeze", [x], {"dim": d})
    return x


def concat(c, n, a):
    return c.emit("concat", [c.tensor(i) for i in n.input], {"dim": a["axis"]})


def split(c, n, a):
    """Split: sizes from the 'split' input (opset 13+), else equal parts."""
    x = c.tensor(n.input[0])
    axis = a.get("axis", 0)
    size = c.shape(x)[axis]
    if len(n.input) > 1 and n.input[1]:
        sizes = [int(k) for k in c.const(n.input[1], "Split's sizes")]
    else:
        parts = len(n.output)
        step = -(-size // parts)
        sizes = [min(step, size - s) for s in range(0, size, step)]
    out, start = [], 0
    for k, name in zip(sizes, n.output):
        out.append(c.emit("slice", [x], {"dim": axis, "start": start, "end": start + k},
                          name=c.fresh(name)))
        start += k
    return tuple(out)


def layer_normalization(c, n, a):
    """LayerNormalization (opset 17) over the dims from `axis` on:
    (x - mean) / sqrt(var + eps) * scale + bias, var biased."""
    x = c.tensor(n.input[0])
    rank = len(c.shape(x))
    axis = a.get("axis", -1) % rank
    dims = list(range(axis - rank, 0))
    eps = a.get("epsilon", 1e-5)
    mu = c.emit("mean", [x], {"dim": dims, "keepdim": True})
    d = c.emit("sub", [x, mu])
    var = c.emit("mean", [c.emit("mul", [d, d])], {"dim": dims, "keepdim": True})
    y = c.emit("div", [d, c.emit("sqrt", [c.emit("add", [var, eps])])])
    y = c.emit("mul", [y, c.get(n.input[1])])
    if len(n.input) > 2 and n.input[2]:
        y = c.emit("add", [y, c.get(n.input[2])])
    if len(n.output) > 1 and any(n.output[1:]):
        raise c.error("the mean and inverse standard deviation outputs are not supported")
    return y


def gather(c, n, a):
    """Gather along axis 0 (an embedding lookup) as one_hot(indices) @ data,
    with the one-hot made by comparing the indices with a constant 0..V-1:
    exact values and gradients (as export's embedding). Constant operands
    are folded."""
    axis = a.get("axis", 0)
    if n.input[0] in c.consts and n.input[1] in c.consts:
        return c.np.take(c.consts[n.input[0]], c.consts[n.input[1]], axis=axis)
    data = c.tensor(n.input[0])
    shape = c.shape(data)
    if axis % max(len(shape), 1) != 0 or len(shape) > 2:
        raise c.error("Gather is supported along axis 0 of a 1-D or 2-D tensor only")
    idx = c.get(n.input[1])
    V = shape[0]
    ar = c.add_input(c.fresh(n.output[0] + "__arange"), "i64", (V,), c.np.arange(V), fresh=True)
    if isinstance(idx, str):
        hot = c.emit("eq", [c.emit("unsqueeze", [idx], {"dim": -1}), ar])
    else:  # a scalar index
        hot = c.emit("eq", [ar, idx])
    onehot = c.emit("where", [hot, 1.0, 0.0])
    return c.emit("matmul", [onehot, data])


def where(c, n, a):
    return c.emit("where", [c.tensor(n.input[0]), c.get(n.input[1]), c.get(n.input[2])])


def identity(c, n, a):
    return c.get(n.input[0])


def constant(c, n, a):
    if "value" not in a:
        raise c.error("only Constant with a 'value' tensor is supported")
    return c.np.asarray(a["value"])


def cast(c, n, a):
    x = c.get(n.input[0])
    to = _DTYPES.get(a.get("to"))
    if n.input[0] in c.consts:  # casting a constant: fold it
        return c.consts[n.input[0]].astype({"f32": "float32", "f64": "float64", "i32": "int32",
                                           "i64": "int64", "bool": "bool"}.get(to, "float32"))
    have = next((d["dtype"] for d in c.inputs if d["name"] == x), None)
    if to is not None and have == to:
        return x
    raise c.error("Cast to another dtype is not supported")


def softmax_cross_entropy(c, n, a):
    if len(n.input) > 2 and n.input[2]:
        raise c.error("class weights are not supported")
    if len(n.output) > 1 and n.output[1]:
        raise c.error("the log_prob output is not supported")
    attrs = {}
    if a.get("reduction", "mean") != "mean":
        attrs["reduction"] = a["reduction"]
    if "ignore_index" in a and a["ignore_index"] != -100:
        attrs["ignore_index"] = a["ignore_index"]
    return c.emit("cross_entropy", [c.tensor(n.input[0]), c.tensor(n.input[1])], attrs)


def dropout(c, n, a):
    if len(n.input) > 2 and n.input[2] and n.input[2] in c.consts and bool(c.consts[n.input[2]]):
        raise c.error("Dropout in training mode is random; export the model in eval mode")
    return c.get(n.input[0])


OPS = {
    "Add": binary("add"), "Sub": binary("sub"), "Mul": binary("mul"), "Div": binary("div"),
    "Pow": binary("pow"), "Neg": unary("neg"), "Exp": unary("exp"), "Log": unary("log"),
    "Sqrt": unary("sqrt"), "Abs": unary("abs"), "Sin": unary("sin"), "Cos": unary("cos"),
    "Tanh": unary("tanh"), "Sigmoid": unary("sigmoid"), "Relu": unary("relu"),
    "Sign": unary("sign"), "LeakyRelu": leaky_relu,
    "Max": variadic("maximum"), "Min": variadic("minimum"),
    "Greater": binary("gt"), "GreaterOrEqual": binary("ge"), "Less": binary("lt"),
    "LessOrEqual": binary("le"), "Equal": binary("eq"), "Where": where,
    "MatMul": binary("matmul"), "Gemm": gemm,
    "Softmax": softmax("softmax"), "LogSoftmax": softmax("log_softmax"),
    "ReduceSum": reduce("sum", 13), "ReduceMean": reduce("mean", 18),
    "ReduceMax": reduce("max", 18), "ReduceMin": reduce("min", 18),
    "Transpose": transpose, "Reshape": reshape, "Flatten": flatten,
    "Squeeze": squeeze, "Unsqueeze": unsqueeze, "Concat": concat, "Split": split,
    "Gather": gather,
    "LayerNormalization": layer_normalization,
    "Identity": identity, "Dropout": dropout, "Constant": constant, "Cast": cast,
    "SoftmaxCrossEntropyLoss": softmax_cross_entropy,
}


def convert_model(model, trainable=(), sizes=None):
    """The gradc JSON graph (a dict) of an onnx.ModelProto."""
    try:
        import onnx
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
