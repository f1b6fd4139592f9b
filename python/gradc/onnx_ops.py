"""The ONNX operators `gradc import` reads: OPS maps an ONNX op_type to a
handler `handler(conv, node, attrs) -> value`, where `conv` is the
onnx_import.Converter (conv.emit(op, inputs, attrs) appends a gradc node,
conv.get/tensor/const read operands) and the value is a gradc value name, a
Python number, a tuple of values (several outputs) or a numpy array (an
operand folded at import time: shapes, constant masks). Adding an operator
is one row, most of them built from a helper (`unary("erf")`).
"""

__all__ = ["OPS", "DTYPES"]

# ONNX TensorProto element types gradc has.
DTYPES = {1: "f32", 11: "f64", 6: "i32", 7: "i64", 9: "bool"}
_DTYPES = DTYPES


# -- operator handlers: handler(conv, node, attrs) -> gradc value or ndarray -----
def unary(op, **attrs):
    """An op of one tensor; `attrs` map gradc attribute names to
    (ONNX attribute, default) pairs: unary("elu", alpha=("alpha", 1.0))."""
    def h(c, n, a):
        got = {k: a.get(name, d) for k, (name, d) in attrs.items()}
        return c.emit(op, [c.tensor(n.input[0])], got)
    return h


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


def slice_(c, n, a):
    """Slice of a tensor with constant starts, ends, axes and steps (what
    torch.onnx writes for x[:, :T], chunk, narrow): one gradc slice per
    axis. Both ONNX and gradc count negative bounds from the end and clamp;
    the clamp here only keeps ONNX's INT64_MAX-style ends small."""
    x = c.tensor(n.input[0])
    shape = c.shape(x)
    starts = [int(v) for v in c.const(n.input[1], "Slice's starts")]
    ends = [int(v) for v in c.const(n.input[2], "Slice's ends")]
    axes = ([int(v) for v in c.const(n.input[3], "Slice's axes")]
            if len(n.input) > 3 and n.input[3] else list(range(len(starts))))
    steps = ([int(v) for v in c.const(n.input[4], "Slice's steps")]
             if len(n.input) > 4 and n.input[4] else [1] * len(starts))
    for start, end, axis, step in zip(starts, ends, axes, steps):
        if step <= 0:
            raise c.error("Slice with step %d is not supported (gradc's slice steps forward)"
                          % step)
        axis %= len(shape)
        size = shape[axis]
        start, end = max(min(start, size), -size), max(min(end, size), -size)
        if (start, end, step) == (0, size, 1):
            continue
        x = c.emit("slice", [x], {"dim": axis, "start": start, "end": end, "step": step})
    return x


def expand(c, n, a):
    """Expand of a tensor to a constant shape: ONNX broadcasts both ways
    (a 1 in `shape` keeps the input's size), so the result's shape is the
    broadcast of the two; gradc's expand to that shape (its gradient sums
    back)."""
    x = c.tensor(n.input[0])
    have = list(c.shape(x))
    want = [int(v) for v in c.const(n.input[1], "Expand's shape")]
    rank = max(len(have), len(want))
    have, want = [1] * (rank - len(have)) + have, [1] * (rank - len(want)) + want
    out = []
    for h, w in zip(have, want):
        if h != 1 and w != 1 and h != w:
            raise c.error("cannot expand shape %s to %s" % (c.shape(x), want))
        out.append(h if w == 1 else w)
    if out == list(c.shape(x)):
        return x
    return c.emit("expand", [x], {"shape": out})


def _pairs(c, pads, rank):
    """ONNX pads [x1_begin, x2_begin, ..., x1_end, x2_end, ...] as gradc's
    symmetric per-dim padding (gradc pads both sides alike)."""
    pads = list(pads) if pads else [0] * (2 * rank)
    begin, end = pads[:rank], pads[rank:]
    if begin != end:
        raise c.error("asymmetric pads %s are not supported" % pads)
    return begin


def _spatial(c, n, a, x):
    """The spatial rank of a node (1 or 2) from kernel_shape or the input."""
    rank = len(a["kernel_shape"]) if "kernel_shape" in a else len(c.shape(x)) - 2
    if rank not in (1, 2):
        raise c.error("only 1-D and 2-D %s are supported" % n.op_type)
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise c.error("auto_pad %s is not supported (export with explicit pads)" % a["auto_pad"])
    return rank


def conv(c, n, a):
    """Conv (1-D or 2-D): conv1d / conv2d, weight [O, C / group, k...],
    optional bias."""
    (x, extra), w = _unpad(c, n.input[0]), c.tensor(n.input[1])
    rank = _spatial(c, n, a, x)
    one = (lambda v: v[0]) if rank == 1 else list
    padding = _pairs(c, a.get("pads"), rank)
    if extra:
        padding = [p + q for p, q in zip(padding, extra)]
    attrs = {"stride": one(a.get("strides", [1] * rank)), "padding": one(padding),
             "dilation": one(a.get("dilations", [1] * rank)), "groups": a.get("group", 1)}
    inputs = [x, w] + ([c.tensor(n.input[2])] if len(n.input) > 2 and n.input[2] else [])
    return c.emit("conv1d" if rank == 1 else "conv2d", inputs, attrs)


def pool(op):
    """MaxPool / AveragePool over 2-D windows. ONNX's strides default to 1
    (PyTorch's to the kernel) and AveragePool's count_include_pad to 0."""
    def h(c, n, a):
        x, extra = _unpad(c, n.input[0]) if op == "avg_pool2d" else (c.tensor(n.input[0]), None)
        if _spatial(c, n, a, x) != 2:
            raise c.error("only 2-D pooling is supported")
        if len(n.output) > 1 and n.output[1]:
            raise c.error("the Indices output is not supported")
        attrs = {"kernel_size": list(a["kernel_shape"]), "stride": list(a.get("strides", [1, 1])),
                 "padding": _pairs(c, a.get("pads"), 2), "ceil_mode": bool(a.get("ceil_mode", 0))}
        if op == "max_pool2d":
            if a.get("storage_order", 0):
                raise c.error("storage_order 1 is not supported")
            attrs["dilation"] = list(a.get("dilations", [1, 1]))
        else:
            attrs["count_include_pad"] = bool(a.get("count_include_pad", 0))
            if extra:  # the Pad's zeros are elements of the windows
                if any(attrs["padding"]) and not attrs["count_include_pad"]:
                    raise c.error("a Pad before an AveragePool with pads of its own that "
                                  "exclude the padding is not supported")
                attrs["padding"] = [p + q for p, q in zip(attrs["padding"], extra)]
                attrs["count_include_pad"] = True
        return c.emit(op, [x], attrs)
    return h


def global_average_pool(c, n, a):
    x = c.tensor(n.input[0])
    if len(c.shape(x)) != 4:
        raise c.error("only GlobalAveragePool of an [N, C, H, W] tensor is supported")
    return c.emit("adaptive_avg_pool2d", [x], {"output_size": [1, 1]})


class Padded:
    """A Pad by zeros of the spatial dims, left for the Conv or AveragePool
    that reads it to take as its own padding (torch.onnx writes
    avg_pool2d's padding that way); any other reader refuses it."""

    refusal = ("a Pad by a nonzero amount is only supported right before Conv or "
               "AveragePool, which take it as their padding")

    def __init__(self, x, pads):
        self.x, self.pads = x, pads


def pad(c, n, a):
    """Pad with zeros: nothing when every amount is 0, else a Padded."""
    if a.get("mode", "constant") != "constant":
        raise c.error("Pad mode '%s' is not supported" % a["mode"])
    if len(n.input) > 2 and n.input[2] and float(c.const(n.input[2], "Pad's value")) != 0:
        raise c.error("Pad with a nonzero value is not supported")
    x = c.tensor(n.input[0])
    rank = len(c.shape(x))
    pads = [int(p) for p in (c.const(n.input[1], "Pad's pads") if len(n.input) > 1
                             else a.get("pads", []))]
    if not any(pads):
        return x
    if rank < 3 or any(pads[:2]) or any(pads[rank:rank + 2]):
        raise c.error("only padding of the spatial dims of [N, C, ...] is supported")
    return Padded(x, _pairs(c, pads[2:rank] + pads[rank + 2:], rank - 2))


def _unpad(c, name):
    """A Conv or pool's input and the padding a Pad before it left."""
    v = c.get(name)
    if isinstance(v, Padded):
        return v.x, v.pads
    return c.tensor(name), None


def layer_normalization(c, n, a):
    """LayerNormalization (opset 17): gradc's layer_norm over the dims from
    `axis` on, with scale and an optional bias."""
    x = c.tensor(n.input[0])
    shape = c.shape(x)
    axis = a.get("axis", -1) % len(shape)
    if len(n.output) > 1 and any(n.output[1:]):
        raise c.error("the mean and inverse standard deviation outputs are not supported")
    inputs = [x, c.tensor(n.input[1])]
    if len(n.input) > 2 and n.input[2]:
        inputs.append(c.tensor(n.input[2]))
    return c.emit("layer_norm", inputs, {"normalized_shape": list(shape[axis:]),
                                         "eps": a.get("epsilon", 1e-5)})


def instance_normalization(c, n, a):
    """InstanceNormalization of [N, C, *]: group_norm with one group per
    channel (torch.onnx writes GroupNorm as a reshape to [N, groups, -1],
    this with a scale of ones and a bias of zeros, a reshape back and the
    affine). A constant scale of ones and bias of zeros are left out."""
    x = c.tensor(n.input[0])
    C = c.shape(x)[1]
    inputs = [x]
    s, b = n.input[1], n.input[2]
    trivial = all(v in c.consts and not c.is_trainable(v) for v in (s, b)) and \
        c.np.all(c.consts[s] == 1) and c.np.all(c.consts[b] == 0)
    if not trivial:
        inputs += [c.tensor(s), c.tensor(b)]
    return c.emit("group_norm", inputs, {"num_groups": C, "eps": a.get("epsilon", 1e-5)})


def shape(c, n, a):
    """Shape: static, so a constant (read by a later Reshape)."""
    s = c.np.asarray(c.shape(c.tensor(n.input[0])), dtype="int64")
    return s[a.get("start", 0):a["end"]] if "end" in a else s[a.get("start", 0):]


def trilu(c, n, a):
    """Trilu: triu / tril with the diagonal offset k; of a constant (a
    causal mask), folded."""
    k = int(c.const(n.input[1], "Trilu's k")) if len(n.input) > 1 and n.input[1] else 0
    upper = a.get("upper", 1)
    if n.input[0] in c.consts:
        v = c.consts[n.input[0]]
        return c.np.triu(v, k) if upper else c.np.tril(v, k)
    return c.emit("triu" if upper else "tril", [c.tensor(n.input[0])], {"diagonal": k})


def clip(c, n, a):
    """Clip (opset 13: min and max as optional constant inputs): clamp."""
    attrs = {}
    for k, i in (("min", 1), ("max", 2)):
        if len(n.input) > i and n.input[i]:
            attrs[k] = float(c.const(n.input[i], "Clip's " + k))
    if not attrs:
        return c.get(n.input[0])
    return c.emit("clamp", [c.tensor(n.input[0])], attrs)


def cumsum(c, n, a):
    if a.get("exclusive", 0) or a.get("reverse", 0):
        raise c.error("exclusive or reverse CumSum is not supported")
    return c.emit("cumsum", [c.tensor(n.input[0])], {"dim": int(c.const(n.input[1], "axis"))})


def arg(op):
    def h(c, n, a):
        if a.get("select_last_index", 0):
            raise c.error("select_last_index is not supported")
        attrs = {"dim": a.get("axis", 0)}
        if a.get("keepdims", 1):
            attrs["keepdim"] = True
        return c.emit(op, [c.tensor(n.input[0])], attrs)
    return h


def gather(c, n, a):
    """Gather. Constant operands are folded; a constant scalar index is a
    select; tensor (or constant) indices are gradc's embedding along
    axis 0 of a 2-D table (any index shape, torch.onnx's nn.Embedding) or
    index_select for a 1-D index. Their run-time range check refuses
    negative indices, which ONNX counts from the end."""
    axis = a.get("axis", 0)
    if n.input[0] in c.consts and n.input[1] in c.consts and not c.is_trainable(n.input[0]):
        return c.np.take(c.consts[n.input[0]], c.consts[n.input[1]], axis=axis)
    data = c.tensor(n.input[0])
    shape = c.shape(data)
    axis %= max(len(shape), 1)
    if n.input[1] in c.consts and c.np.ndim(c.consts[n.input[1]]) == 0:
        return c.emit("select", [data], {"dim": axis, "index": int(c.consts[n.input[1]])})
    idx = c.tensor(n.input[1])  # a constant one becomes an input with init
    if axis == 0 and len(shape) == 2:
        return c.emit("embedding", [idx, data])
    if len(c.shape(idx)) == 1:
        return c.emit("index_select", [data, idx], {"dim": axis})
    raise c.error("Gather with tensor indices of rank > 1 is supported along axis 0 of a "
                  "2-D tensor only")


def gather_elements(c, n, a):
    """GatherElements: gradc's gather (torch.gather)."""
    return c.emit("gather", [c.tensor(n.input[0]), c.tensor(n.input[1])],
                  {"dim": a.get("axis", 0)})


def one_hot(c, n, a):
    """OneHot(indices, depth, values) with values [0, 1] along the last
    axis (torch.onnx's F.one_hot): gradc's one_hot {num_classes: depth}, an
    i64 result. Negative indices, which ONNX counts from the end, stop the
    run as out of range."""
    depth = int(c.np.asarray(c.const(n.input[1], "OneHot's depth")).reshape(-1)[0])
    values = c.np.asarray(c.const(n.input[2], "OneHot's values")).reshape(-1)
    x = c.tensor(n.input[0])
    if a.get("axis", -1) not in (-1, len(c.shape(x))):
        raise c.error("OneHot along an axis other than the last is not supported")
    if list(values) != [0, 1] or values.dtype.kind not in "iu":
        raise c.error("OneHot with values other than integer [0, 1] is not supported")
    return c.emit("one_hot", [x], {"num_classes": depth})


class Refused:
    """An output gradc does not compute (Dropout's mask); reading it is an
    error that says so."""

    def __init__(self, refusal):
        self.refusal = refusal


def batch_normalization(c, n, a):
    """BatchNormalization(X, scale, B, mean, var). Inference form: gradc's
    batch_norm with the running statistics. training_mode=1 (opset 14+,
    torch.onnx's TrainingMode.TRAINING): the batch's statistics; the
    optional running_mean / running_var outputs are gradc's updated ones
    (PyTorch's rule: ONNX's momentum m is PyTorch's 1 - m, and the variance
    has Bessel's correction where the ONNX text takes the biased one)."""
    x = c.tensor(n.input[0])
    stats = [c.tensor(i) for i in n.input[3:5]]
    training = bool(a.get("training_mode", 0))
    attrs = {"training": training, "eps": a.get("epsilon", 1e-5),
             # float32's 0.9 is 0.899999976: 1 - m to 7 digits is PyTorch's.
             "momentum": float("%.7g" % (1.0 - a.get("momentum", 0.9)))}
    # Named as its ONNX output Y, so that the statistics are Y.running_mean
    # and Y.running_var.
    node = c.emit("batch_norm", [x] + stats + [c.tensor(n.input[1]), c.tensor(n.input[2])],
                  attrs, name=n.output[0])
    if len(n.output) == 1 or not any(n.output[1:]):
        return node
    if not training:
        raise c.error("running statistics outputs need training_mode=1")
    # gradc's JSON names these values only as graph outputs (a node cannot
    # read them), so they stay outputs under gradc's names.
    graph_outputs = {o.name for o in c.graph.output}
    outs = [node]
    for name, what in zip(n.output[1:], ("running_mean", "running_var")):
        outs.append(node + "." + what if name in graph_outputs else Refused(
            "BatchNormalization's running statistics can only be graph outputs"))
    return tuple(outs)


def dropout(c, n, a):
    """Dropout: the identity unless training_mode is a true constant; then
    gradc's dropout {p: ratio} (its mask is gradc's, fixed by a seed,
    docs/ops.md) and the mask output cannot be read."""
    training = len(n.input) > 2 and n.input[2]
    if training and n.input[2] not in c.consts:
        raise c.error("Dropout's training_mode must be a constant")
    if not training or not bool(c.consts[n.input[2]]):
        return c.get(n.input[0])
    ratio = float(c.const(n.input[1], "Dropout's ratio")) if len(n.input) > 1 and n.input[1] \
        else 0.5
    y = c.emit("dropout", [c.tensor(n.input[0])], {"p": ratio, "training": True})
    return (y, Refused("Dropout's mask output is not supported"))


def _loss_attrs(a):
    attrs = {}
    r = a.get("reduction", "mean")
    r = r.decode() if isinstance(r, bytes) else r
    if r != "mean":
        attrs["reduction"] = r
    if "ignore_index" in a and a["ignore_index"] != -100:
        attrs["ignore_index"] = a["ignore_index"]
    return attrs


def _loss_inputs(c, n):
    inputs = [c.tensor(n.input[0]), c.tensor(n.input[1])]
    if len(n.input) > 2 and n.input[2]:
        inputs.append(c.tensor(n.input[2]))
    return inputs


def softmax_cross_entropy(c, n, a):
    """SoftmaxCrossEntropyLoss(scores, labels[, weights]): cross_entropy."""
    if len(n.output) > 1 and n.output[1]:
        raise c.error("the log_prob output is not supported")
    return c.emit("cross_entropy", _loss_inputs(c, n), _loss_attrs(a))


def nll_loss(c, n, a):
    """NegativeLogLikelihoodLoss(input, target[, weight]): nll_loss."""
    return c.emit("nll_loss", _loss_inputs(c, n), _loss_attrs(a))


def where(c, n, a):
    return c.emit("where", [c.tensor(n.input[0]), c.get(n.input[1]), c.get(n.input[2])])


def _bool(c, value):
    return c.emit("full", [], {"size": [], "fill_value": int(value), "dtype": "bool"})


def logical(op):
    """Or, And, Xor, Not of bool tensors (torch.onnx merges attention masks
    with Or): gradc has no logical ops, so where and comparisons of bools,
    exactly: a or b = where(a, true, b), a and b = where(a, b, false),
    a xor b = a != b, not a = a == false."""
    def h(c, n, a):
        x = c.tensor(n.input[0])
        if op == "not":
            return c.emit("eq", [x, _bool(c, False)])
        y = c.tensor(n.input[1])
        if op == "or":
            return c.emit("where", [x, _bool(c, True), y])
        if op == "and":
            return c.emit("where", [x, y, _bool(c, False)])
        return c.emit("ne", [x, y])
    return h


class _EinsumContext:
    """The few calls export_einsum.einsum makes, on the importer."""

    def __init__(self, c):
        self.c = c

    def emit(self, op, inputs, attrs=None):
        return self.c.emit(op, inputs, attrs)

    def t(self, v, what="operand"):
        return v

    def shape(self, v):
        return self.c.shape(v)

    def error(self, message):
        return self.c.error(message)


def einsum(c, n, a):
    """Einsum of one or two tensors, as gradc.export writes torch.einsum
    (export_einsum.py: permute, sum, reshape, a batched matmul)."""
    try:  # in the package, or as a script beside it (the CLI's importer)
        from .export_einsum import einsum as build
    except ImportError:
        from export_einsum import einsum as build
    ops = [c.tensor(i) for i in n.input]
    return build(_EinsumContext(c), (a["equation"].decode() if isinstance(a["equation"], bytes)
                                     else a["equation"],) + tuple(ops), {})


def identity(c, n, a):
    return c.get(n.input[0])


def constant(c, n, a):
    if "value" not in a:
        raise c.error("only Constant with a 'value' tensor is supported")
    return c.np.asarray(a["value"])


def cast(c, n, a):
    """Cast: the identity when the dtype does not change (torch.onnx writes
    such Casts around many ops); a constant is converted at import time; a
    bool to a float type is where(x, 1, 0) and anything to bool x != 0
    (both exact); anything else is refused (gradc has no conversion op)."""
    to = _DTYPES.get(a.get("to"))
    if n.input[0] in c.consts:  # casting a constant: fold it
        if to is None:
            raise c.error("Cast to an element type gradc does not have (%s)" % a.get("to"))
        return c.consts[n.input[0]].astype({"f32": "float32", "f64": "float64", "i32": "int32",
                                           "i64": "int64", "bool": "bool"}[to])
    x = c.get(n.input[0])
    have = c.dtype(n.input[0])
    if to is not None and have == to:
        return x
    if have is None:
        raise c.error("Cast of '%s', whose element type is not known (run onnx shape "
                      "inference), is not supported" % n.input[0])
    x = c.tensor(n.input[0])
    if have == "bool" and to in ("f32", "f64"):  # a mask as numbers: where(x, 1, 0)
        one = c.emit("full", [], {"size": [], "fill_value": 1.0, "dtype": to})
        zero = c.emit("full", [], {"size": [], "fill_value": 0.0, "dtype": to})
        return c.emit("where", [x, one, zero])
    if to == "bool":  # x != 0, against a zero of x's own type
        zero = c.emit("full", [], {"size": [], "fill_value": 0, "dtype": have})
        return c.emit("ne", [x, zero])
    raise c.error("Cast from %s to %s is not supported: gradc has no dtype conversion op "
                  "(only a Cast to the same type, the identity, of a constant, of a bool "
                  "to a float type, and to bool)" % (have, to or "element type %s" % a.get("to")))


OPS = {
    "Add": binary("add"), "Sub": binary("sub"), "Mul": binary("mul"), "Div": binary("div"),
    "Pow": binary("pow"), "Neg": unary("neg"), "Exp": unary("exp"), "Log": unary("log"),
    "Sqrt": unary("sqrt"), "Abs": unary("abs"), "Sin": unary("sin"), "Cos": unary("cos"),
    "Tanh": unary("tanh"), "Sigmoid": unary("sigmoid"), "Relu": unary("relu"),
    "Sign": unary("sign"),
    "LeakyRelu": unary("leaky_relu", negative_slope=("alpha", 0.01)),
    "Elu": unary("elu", alpha=("alpha", 1.0)), "Erf": unary("erf"),
    "Softplus": unary("softplus"), "Reciprocal": unary("reciprocal"), "Clip": clip,
    "Sum": variadic("add"), "Max": variadic("maximum"), "Min": variadic("minimum"),
    "Greater": binary("gt"), "GreaterOrEqual": binary("ge"), "Less": binary("lt"),
    "LessOrEqual": binary("le"), "Equal": binary("eq"), "Where": where,
    "MatMul": binary("matmul"), "Gemm": gemm,
    "Softmax": softmax("softmax"), "LogSoftmax": softmax("log_softmax"),
    "ReduceSum": reduce("sum", 13), "ReduceMean": reduce("mean", 18),
    "ReduceMax": reduce("max", 18), "ReduceMin": reduce("min", 18),
    "Transpose": transpose, "Reshape": reshape, "Flatten": flatten,
    "Squeeze": squeeze, "Unsqueeze": unsqueeze, "Concat": concat, "Split": split,
    "Gather": gather, "GatherElements": gather_elements, "Shape": shape, "Trilu": trilu, "Pad": pad,
    "Conv": conv, "MaxPool": pool("max_pool2d"), "AveragePool": pool("avg_pool2d"),
    "GlobalAveragePool": global_average_pool,
    "LayerNormalization": layer_normalization,
    "InstanceNormalization": instance_normalization,
    "CumSum": cumsum, "ReduceLogSumExp": reduce("logsumexp", 18),
    "ArgMax": arg("argmax"), "ArgMin": arg("argmin"),
    "Identity": identity, "Dropout": dropout, "Constant": constant, "Cast": cast,
    "Slice": slice_, "Expand": expand, "Or": logical("or"), "And": logical("and"),
    "Xor": logical("xor"), "Not": logical("not"), "Einsum": einsum,
    "SoftmaxCrossEntropyLoss": softmax_cross_entropy, "NegativeLogLikelihoodLoss": nll_loss,
    "BatchNormalization": batch_normalization, "OneHot": one_hot,
}


