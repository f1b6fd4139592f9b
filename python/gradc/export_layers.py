"""Export handlers of layers: linear, convolution, pooling, normalization,
embedding, dropout and masked_fill, as functions
(`F.conv2d(x, w, b, stride=2)`) and as nn modules (whose parameters become
inputs named by their qualified names through `c.state`).

Each maps to the gradc op of the same PyTorch semantics (docs/ops.md), with
PyTorch's arguments as attributes under the same names. Exactness matters:
where a decomposition stands in for a missing op, it gives PyTorch's values
and gradients (nn.Linear is `x @ W^T + b`). The losses and batch_norm are
in export_losses.py.
"""

import torch

from .export_builders import bind

__all__ = ["f_linear", "m_linear", "f_conv", "m_conv", "f_max_pool2d", "m_max_pool2d",
           "f_avg_pool2d", "m_avg_pool2d", "f_adaptive_avg_pool2d", "m_adaptive_avg_pool2d",
           "f_layer_norm", "m_layer_norm", "f_group_norm", "m_group_norm", "f_embedding",
           "m_embedding", "f_dropout", "m_dropout", "masked_fill", "addmm",
           "f_adaptive_max_pool2d", "m_adaptive_max_pool2d"]


def _ints(v):
    """An int-or-tuple PyTorch argument as a JSON attribute (a list)."""
    return list(v) if isinstance(v, (tuple, list)) else v


def _optional(c, v):
    return None if v is None else c.t(v)


# -- linear ---------------------------------------------------------------------
def linear(c, x, w, b):
    """F.linear: x @ W^T + b (W is [out, in]); exactly PyTorch's values."""
    wt = c.emit("transpose", [c.t(w)], {"dim0": 0, "dim1": 1}) if len(c.shape(w)) == 2 else w
    y = c.emit("matmul", [c.t(x), wt])
    return c.emit("add", [y, b]) if b is not None else y


def addmm(c, args, kwargs):
    """torch.addmm(b, m1, m2, beta=1, alpha=1) = beta b + alpha (m1 @ m2)
    (GPT-2's Conv1D layer)."""
    a = bind(c, args, kwargs, "input mat1 mat2 beta=1 alpha=1")
    y = c.emit("matmul", [c.t(a["mat1"]), c.t(a["mat2"])])
    if a["alpha"] != 1:
        y = c.emit("mul", [y, a["alpha"]])
    b = a["input"]
    if a["beta"] != 1:
        b = c.emit("mul", [b, a["beta"]]) if isinstance(b, str) else b * a["beta"]
    return c.emit("add", [b, y]) if a["beta"] != 0 else y


def f_linear(c, args, kwargs):
    a = bind(c, args, kwargs, "input weight bias=None")
    return linear(c, a["input"], a["weight"], a["bias"])


def m_linear(c, mod, q, args, kwargs):
    w = c.state(q + ".weight")
    b = c.state(q + ".bias") if mod.bias is not None else None
    return linear(c, args[0], w, b)


def _weight_bias(c, mod, q):
    w = c.state(q + ".weight") if getattr(mod, "weight", None) is not None else None
    b = c.state(q + ".bias") if getattr(mod, "bias", None) is not None else None
    return w, b


# -- convolution -------------------------------------------------------------------
def conv(c, op, x, w, b, stride, padding, dilation, groups):
    """conv1d / conv2d with PyTorch's attributes (ints or pairs; padding also
    "same" or "valid")."""
    inputs = [c.t(x), c.t(w)] + ([c.t(b)] if b is not None else [])
    attrs = {"stride": _ints(stride), "padding": padding if isinstance(padding, str)
             else _ints(padding), "dilation": _ints(dilation), "groups": groups}
    return c.emit(op, inputs, attrs)


def f_conv(op):
    def h(c, args, kwargs):
        a = bind(c, args, kwargs, "input weight bias=None stride=1 padding=0 dilation=1 groups=1")
        return conv(c, op, a["input"], a["weight"], a["bias"], a["stride"], a["padding"],
                    a["dilation"], a["groups"])
    return h


def m_conv(op):
    def h(c, mod, q, args, kwargs):
        if mod.padding_mode != "zeros":
            raise c.error("padding_mode '%s' is not supported (only 'zeros')" % mod.padding_mode)
        w, b = _weight_bias(c, mod, q)
        return conv(c, op, args[0], w, b, mod.stride, mod.padding, mod.dilation, mod.groups)
    return h


# -- pooling ---------------------------------------------------------------------------
def max_pool2d(c, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    if return_indices:
        raise c.error("max_pool2d with return_indices is not supported")
    attrs = {"kernel_size": _ints(kernel_size), "padding": _ints(padding),
             "dilation": _ints(dilation), "ceil_mode": bool(ceil_mode)}
    if stride is not None and stride != [] and stride != ():  # absent: the kernel size
        attrs["stride"] = _ints(stride)
    return c.emit("max_pool2d", [c.t(x)], attrs)


def f_max_pool2d(c, args, kwargs):
    a = bind(c, args, kwargs, "input kernel_size stride=None padding=0 dilation=1 "
             "ceil_mode=False return_indices=False")
    return max_pool2d(c, a["input"], a["kernel_size"], a["stride"], a["padding"], a["dilation"],
                      a["ceil_mode"], a["return_indices"])


def m_max_pool2d(c, mod, q, args, kwargs):
    return max_pool2d(c, args[0], mod.kernel_size, mod.stride, mod.padding, mod.dilation,
                      mod.ceil_mode, mod.return_indices)


def avg_pool2d(c, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor):
    if divisor is not None:
        raise c.error("avg_pool2d with divisor_override is not supported")
    attrs = {"kernel_size": _ints(kernel_size), "padding": _ints(padding),
             "ceil_mode": bool(ceil_mode), "count_include_pad": bool(count_include_pad)}
    if stride is not None and stride != [] and stride != ():
        attrs["stride"] = _ints(stride)
    return c.emit("avg_pool2d", [c.t(x)], attrs)


def f_avg_pool2d(c, args, kwargs):
    a = bind(c, args, kwargs, "input kernel_size stride=None padding=0 ceil_mode=False "
             "count_include_pad=True divisor_override=None")
    return avg_pool2d(c, a["input"], a["kernel_size"], a["stride"], a["padding"], a["ceil_mode"],
                      a["count_include_pad"], a["divisor_override"])


def m_avg_pool2d(c, mod, q, args, kwargs):
    return avg_pool2d(c, args[0], mod.kernel_size, mod.stride, mod.padding, mod.ceil_mode,
                      mod.count_include_pad, mod.divisor_override)


def adaptive_avg_pool2d(c, x):
    """The output size PyTorch computed (output_size may hold None: the
    input's size)."""
    return c.emit("adaptive_avg_pool2d", [c.t(x)], {"output_size": list(c.out_shape()[-2:])})


def f_adaptive_avg_pool2d(c, args, kwargs):
    return adaptive_avg_pool2d(c, bind(c, args, kwargs, "input output_size")["input"])


def m_adaptive_avg_pool2d(c, mod, q, args, kwargs):
    return adaptive_avg_pool2d(c, args[0])


def adaptive_max_pool2d(c, x, return_indices):
    """Global max pooling only (an output of 1x1): the max over the last
    two dims, keepdim (its gradient goes to the maximum, as PyTorch's)."""
    if return_indices:
        raise c.error("adaptive_max_pool2d with return_indices is not supported")
    if tuple(c.out_shape()[-2:]) != (1, 1):
        raise c.error("adaptive_max_pool2d is supported to an output of 1x1 only "
                      "(gradc has no adaptive_max_pool2d op)")
    return c.emit("max", [c.t(x)], {"dim": [-2, -1], "keepdim": True})


def f_adaptive_max_pool2d(c, args, kwargs):
    a = bind(c, args, kwargs, "input output_size return_indices=False")
    return adaptive_max_pool2d(c, a["input"], a["return_indices"])


def m_adaptive_max_pool2d(c, mod, q, args, kwargs):
    return adaptive_max_pool2d(c, args[0], mod.return_indices)


# -- normalization ---------------------------------------------------------------------
def _affine_norm(c, op, x, w, b, attrs):
    """op(x, w, b); a bias without a weight is op(x) + b (gradc's norms take
    the bias only after a weight), the same values and gradients."""
    inputs = [c.t(x)] + ([c.t(w)] if w is not None else [])
    if b is not None and w is not None:
        inputs.append(c.t(b))
    y = c.emit(op, inputs, attrs)
    if b is not None and w is None:
        y = c.emit("add", [y, c.t(b)])
    return y


def layer_norm(c, x, normalized_shape, w, b, eps):
    shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
    return _affine_norm(c, "layer_norm", x, w, b, {"normalized_shape": shape, "eps": eps})


def f_layer_norm(c, args, kwargs):
    a = bind(c, args, kwargs, "input normalized_shape weight=None bias=None eps=1e-05")
    return layer_norm(c, a["input"], a["normalized_shape"], _optional(c, a["weight"]),
                      _optional(c, a["bias"]), a["eps"])


def m_layer_norm(c, mod, q, args, kwargs):
    w, b = _weight_bias(c, mod, q)
    return layer_norm(c, args[0], mod.normalized_shape, w, b, mod.eps)


def f_group_norm(c, args, kwargs):
    a = bind(c, args, kwargs, "input num_groups weight=None bias=None eps=1e-05")
    return _affine_norm(c, "group_norm", a["input"], _optional(c, a["weight"]),
                        _optional(c, a["bias"]), {"num_groups": a["num_groups"], "eps": a["eps"]})


def m_group_norm(c, mod, q, args, kwargs):
    w, b = _weight_bias(c, mod, q)
    return _affine_norm(c, "group_norm", args[0], w, b,
                        {"num_groups": mod.num_groups, "eps": mod.eps})


# -- embedding -------------------------------------------------------------------------
def embedding(c, idx, weight, padding_idx, max_norm):
    """weight[idx]: gradc's embedding op (its padding row gets no
    gradient, as in PyTorch)."""
    if max_norm is not None:
        raise c.error("embedding with max_norm is not supported (it renormalizes the "
                      "weight in place)")
    attrs = {} if padding_idx is None else {"padding_idx": padding_idx}
    return c.emit("embedding", [c.t(idx), c.t(weight)], attrs)


def f_embedding(c, args, kwargs):
    a = bind(c, args, kwargs, "input weight padding_idx=None max_norm=None norm_type=2.0 "
             "scale_grad_by_freq=False sparse=False")
    if a["scale_grad_by_freq"] or a["sparse"]:
        raise c.error("embedding with scale_grad_by_freq or sparse is not supported")
    return embedding(c, a["input"], a["weight"], a["padding_idx"], a["max_norm"])


def m_embedding(c, mod, q, args, kwargs):
    if mod.scale_grad_by_freq or mod.sparse:
        raise c.error("embedding with scale_grad_by_freq or sparse is not supported")
    return embedding(c, args[0], c.state(q + ".weight"), mod.padding_idx, mod.max_norm)


# -- masks and dropout -----------------------------------------------------------------------
def masked_fill(c, args, kwargs):
    """x.masked_fill(mask, v): gradc's masked_fill {value: v}."""
    a = bind(c, args, kwargs, "input mask value")
    v = a["value"]
    if isinstance(v, str):
        raise c.error("masked_fill with a tensor value is not supported")
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        # gradc's JSON has no infinities. The dtype's largest finite value
        # gives the same softmax (exp underflows to 0 either way) and the
        # same gradients; only a row masked entirely differs (PyTorch: NaN).
        big = torch.finfo(c.values[c.node].dtype).max
        v = big if v > 0 else -big
    return c.emit("masked_fill", [c.t(a["input"]), c.t(a["mask"])], {"value": v})


def dropout(c, x, p, training, inplace):
    """Identity unless training with p > 0; then gradc's dropout, whose
    mask is a pure function of a seed: without a `seed` attribute the graph
    builder derives one from the node's name, so every run of the exported
    graph draws the same mask (not PyTorch's: its generator differs). With
    export(..., dropout_seed=NAME), the i64 scalar input NAME is every
    dropout's run-time seed operand (a new mask per value)."""
    if not training or p == 0:
        return x
    inputs = [c.t(x)]
    if c.em.dropout_seed is not None:  # export(..., dropout_seed=NAME)
        if c.em.dropout_seed not in c.em.shapes:
            c.em.add_input(c.em.dropout_seed, torch.tensor(0), False, True)
        inputs.append(c.em.dropout_seed)
    return c.emit("dropout", inputs, {"p": float(p), "training": True})


def f_dropout(c, args, kwargs):
    a = bind(c, args, kwargs, "input p=0.5 training=True inplace=False")
    return dropout(c, a["input"], a["p"], a["training"], a["inplace"])


def m_dropout(c, mod, q, args, kwargs):
    return dropout(c, args[0], mod.p, mod.training, mod.inplace)
