"""Export handlers of the losses and of batch normalization, as functions
(`F.nll_loss(x, t, w)`) and as nn modules (whose class weights are buffers
and so become inputs through `c.state`).

Each maps to the gradc op of the same name with PyTorch's arguments as
attributes (docs/ops.md); an absent optional tensor before a present one is
written as JSON null (`binary_cross_entropy_with_logits(x, t, null, pw)`).

batch_norm in training mode with running statistics also updates them in
PyTorch (in place). gradc never writes into its inputs: the batch_norm node
is named `new.Q` (Q: the module's qualified name, or the fx node's for
F.batch_norm), which makes it define `new.Q.running_mean` and
`new.Q.running_var`, and export() appends those to the graph's outputs
(Emitter.extra_outputs). A caller copies them into the inputs
`Q.running_mean` / `Q.running_var` before the next step.
"""

from .export_builders import bind

__all__ = ["f_cross_entropy", "m_cross_entropy", "f_mse_loss", "m_mse_loss", "f_nll_loss",
           "m_nll_loss", "f_bce", "m_bce", "f_bce_logits", "m_bce_logits", "f_l1_loss",
           "m_l1_loss", "f_smooth_l1_loss", "m_smooth_l1_loss", "f_huber_loss", "m_huber_loss",
           "f_batch_norm", "m_batch_norm", "f_kl_div", "m_kl_div"]

_LEGACY = "size_average=None reduce=None"


def _no_legacy(c, a):
    if a.get("size_average") is not None or a.get("reduce") is not None:
        raise c.error("the deprecated size_average/reduce arguments are not supported")


def _tensors(c, values):
    """Operands with trailing absent tensors left out and the others null."""
    values = list(values)
    while values and values[-1] is None:
        values.pop()
    return [None if v is None else c.t(v) for v in values]


def _buffer(c, q, name, present):
    """A module's optional tensor (a class weight buffer) as an input."""
    return c.state(q + "." + name) if q is not None and present is not None else None


def _loss(c, op, tensors, reduction, attrs=None):
    attrs = dict(attrs or {})
    if reduction != "mean":
        attrs["reduction"] = reduction
    return c.emit(op, _tensors(c, tensors), attrs)


# -- cross_entropy and nll_loss -----------------------------------------------------------
def cross_entropy(c, x, target, weight, ignore_index, reduction, label_smoothing):
    """cross_entropy(logits, target[, weight]) {reduction, ignore_index,
    label_smoothing}; targets are class indices (probabilities are not
    supported)."""
    if isinstance(target, str) and c.em.dtypes.get(target) in ("f32", "f64"):
        raise c.error("cross_entropy with class probabilities as targets is not supported")
    attrs = {}
    if ignore_index != -100:
        attrs["ignore_index"] = ignore_index
    if label_smoothing:
        attrs["label_smoothing"] = float(label_smoothing)
    return _loss(c, "cross_entropy", [x, target, weight], reduction, attrs)


def f_cross_entropy(c, args, kwargs):
    a = bind(c, args, kwargs, "input target weight=None size_average=None ignore_index=-100 "
             "reduce=None reduction='mean' label_smoothing=0.0")
    _no_legacy(c, a)
    return cross_entropy(c, a["input"], a["target"], a["weight"], a["ignore_index"],
                         a["reduction"], a["label_smoothing"])


def m_cross_entropy(c, mod, q, args, kwargs):
    return cross_entropy(c, args[0], args[1], _buffer(c, q, "weight", mod.weight),
                         mod.ignore_index, mod.reduction, mod.label_smoothing)


def nll_loss(c, x, target, weight, ignore_index, reduction):
    attrs = {} if ignore_index == -100 else {"ignore_index": ignore_index}
    return _loss(c, "nll_loss", [x, target, weight], reduction, attrs)


def f_nll_loss(c, args, kwargs):
    a = bind(c, args, kwargs, "input target weight=None size_average=None ignore_index=-100 "
             "reduce=None reduction='mean'")
    _no_legacy(c, a)
    return nll_loss(c, a["input"], a["target"], a["weight"], a["ignore_index"], a["reduction"])


def m_nll_loss(c, mod, q, args, kwargs):
    return nll_loss(c, args[0], args[1], _buffer(c, q, "weight", mod.weight), mod.ignore_index,
                    mod.reduction)


# -- regression and binary losses ----------------------------------------------------------------
def f_mse_loss(c, args, kwargs):
    a = bind(c, args, kwargs, "input target %s reduction='mean'" % _LEGACY)
    _no_legacy(c, a)
    return _loss(c, "mse_loss", [a["input"], a["target"]], a["reduction"])


def m_mse_loss(c, mod, q, args, kwargs):
    return _loss(c, "mse_loss", args[:2], mod.reduction)


def f_l1_loss(c, args, kwargs):
    a = bind(c, args, kwargs, "input target %s reduction='mean'" % _LEGACY)
    _no_legacy(c, a)
    return _loss(c, "l1_loss", [a["input"], a["target"]], a["reduction"])


def m_l1_loss(c, mod, q, args, kwargs):
    return _loss(c, "l1_loss", args[:2], mod.reduction)


def f_smooth_l1_loss(c, args, kwargs):
    a = bind(c, args, kwargs, "input target %s reduction='mean' beta=1.0" % _LEGACY)
    _no_legacy(c, a)
    return _loss(c, "smooth_l1_loss", [a["input"], a["target"]], a["reduction"],
                 {"beta": float(a["beta"])})


def m_smooth_l1_loss(c, mod, q, args, kwargs):
    return _loss(c, "smooth_l1_loss", args[:2], mod.reduction, {"beta": float(mod.beta)})


def f_huber_loss(c, args, kwargs):
    a = bind(c, args, kwargs, "input target reduction='mean' delta=1.0")
    return _loss(c, "huber_loss", [a["input"], a["target"]], a["reduction"],
                 {"delta": float(a["delta"])})


def m_huber_loss(c, mod, q, args, kwargs):
    return _loss(c, "huber_loss", args[:2], mod.reduction, {"delta": float(mod.delta)})


def f_bce(c, args, kwargs):
    a = bind(c, args, kwargs, "input target weight=None %s reduction='mean'" % _LEGACY)
    _no_legacy(c, a)
    return _loss(c, "binary_cross_entropy", [a["input"], a["target"], a["weight"]],
                 a["reduction"])


def m_bce(c, mod, q, args, kwargs):
    return _loss(c, "binary_cross_entropy",
                 [args[0], args[1], _buffer(c, q, "weight", mod.weight)], mod.reduction)


def f_bce_logits(c, args, kwargs):
    a = bind(c, args, kwargs, "input target weight=None %s reduction='mean' pos_weight=None"
             % _LEGACY)
    _no_legacy(c, a)
    return _loss(c, "binary_cross_entropy_with_logits",
                 [a["input"], a["target"], a["weight"], a["pos_weight"]], a["reduction"])


def m_bce_logits(c, mod, q, args, kwargs):
    return _loss(c, "binary_cross_entropy_with_logits",
                 [args[0], args[1], _buffer(c, q, "weight", mod.weight),
                  _buffer(c, q, "pos_weight", mod.pos_weight)], mod.reduction)


# -- batch normalization ---------------------------------------------------------------
def batch_norm(c, base, x, rm, rv, w, b, training, momentum, eps):
    """batch_norm(x, running_mean, running_var, weight, bias) {training,
    momentum, eps}; in training with running statistics, their updated
    values become extra outputs (see the module's doc)."""
    if momentum is None:
        raise c.error("batch_norm with momentum=None (a cumulative average) is not supported")
    if not training and (rm is None or rv is None):
        raise c.error("batch_norm in eval mode needs running_mean and running_var")
    attrs = {"training": bool(training), "momentum": float(momentum), "eps": float(eps)}
    stats = training and rm is not None and rv is not None
    inputs = [c.t(x), None if rm is None else c.t(rm), None if rv is None else c.t(rv)]
    inputs += [None if w is None else c.t(w), None if b is None else c.t(b)]
    while inputs[-1] is None:
        inputs.pop()
    name = c.em.emit("batch_norm", inputs, attrs, base="new." + base if stats else None)
    if stats:
        c.em.extra_outputs += [name + ".running_mean", name + ".running_var"]
    return name


def f_batch_norm(c, args, kwargs):
    a = bind(c, args, kwargs, "input running_mean running_var weight=None bias=None "
             "training=False momentum=0.1 eps=1e-05")
    return batch_norm(c, c.node.name, a["input"], a["running_mean"], a["running_var"],
                      a["weight"], a["bias"], a["training"], a["momentum"], a["eps"])


def m_batch_norm(c, mod, q, args, kwargs):
    # PyTorch: batch statistics in training or when there are no running
    # ones; running statistics updated only in training.
    track = mod.running_mean is not None and mod.running_var is not None
    training = mod.training or not track
    rm = c.state(q + ".running_mean") if track else None
    rv = c.state(q + ".running_var") if track else None
    w = c.state(q + ".weight") if mod.weight is not None else None
    b = c.state(q + ".bias") if mod.bias is not None else None
    # eval with momentum=None only reads the running statistics: any
    # momentum attribute does.
    momentum = mod.momentum if (mod.training or mod.momentum is not None) else 0.1
    return batch_norm(c, c.public(q), args[0], rm, rv, w, b, training, momentum, mod.eps)


# -- kl_div ------------------------------------------------------------------------------------
def kl_div(c, x, target, reduction, log_target):
    """F.kl_div(input, target) as PyTorch computes it: pointwise
    xlogy(t, t) - t * input (t * (log t - input), 0 where t = 0), or
    exp(t) (t - input) for log_target; then the reduction ('batchmean':
    the sum over the batch size). The gradient to input is -t (exp(t))."""
    x, t = c.t(x), c.t(target, "target")
    if log_target:
        point = c.emit("mul", [c.emit("exp", [t]), c.emit("sub", [t, x])])
    else:
        dtype = c.em.dtypes.get(t)
        zero = c.emit("full", [], {"size": [], "fill_value": 0.0, "dtype": dtype})
        tlogt = c.emit("where", [c.emit("eq", [t, zero]), zero,
                                 c.emit("mul", [t, c.emit("log", [t])])])
        point = c.emit("sub", [tlogt, c.emit("mul", [t, x])])
    if reduction == "none":
        return point
    if reduction == "sum":
        return c.emit("sum", [point])
    if reduction == "mean":
        return c.emit("mean", [point])
    if reduction == "batchmean":
        shape = c.shape(x)
        return c.emit("div", [c.emit("sum", [point]), float(shape[0] if shape else 1)])
    raise c.error("reduction '%s' is not supported" % reduction)


def f_kl_div(c, args, kwargs):
    a = bind(c, args, kwargs, "input target size_average=None reduce=None reduction='mean' "
             "log_target=False")
    _no_legacy(c, a)
    return kl_div(c, a["input"], a["target"], a["reduction"], a["log_target"])


def m_kl_div(c, mod, q, args, kwargs):
    return kl_div(c, args[0], args[1], mod.reduction, mod.log_target)
