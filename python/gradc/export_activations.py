"""Export handlers of activations gradc has no single op for, written as
the formulas PyTorch documents (each differentiates to PyTorch's gradient,
up to the value at a kink, where a tie rule decides: measure zero for
real-valued data):

    hardsigmoid(x) = hardtanh(x + 3, 0, 6) / 6
    hardswish(x)   = x * hardtanh(x + 3, 0, 6) / 6
    mish(x)        = x * tanh(softplus(x))
    selu(x)        = scale * elu(x, alpha)   (PyTorch's two constants)
    logsigmoid(x)  = -softplus(-x)
    softsign(x)    = x / (1 + |x|)
    prelu(x, w)    = relu(x) - w * relu(-x)  (w per channel, dim 1)

and the logical not of a bool mask (`~mask`, `torch.logical_not`), which
is `mask == False` (a bool `full`: gradc compares one dtype).
"""

from .export_builders import bind

__all__ = ["tables"]

# torch.nn.functional.selu's constants.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _relu6_of_shift(c, x):
    s = c.emit("add", [x, 3.0])
    return c.emit("hardtanh", [s], {"min_val": 0.0, "max_val": 6.0})


def hardsigmoid(c, x):
    return c.emit("div", [_relu6_of_shift(c, x), 6.0])


def hardswish(c, x):
    return c.emit("div", [c.emit("mul", [x, _relu6_of_shift(c, x)]), 6.0])


def mish(c, x):
    return c.emit("mul", [x, c.emit("tanh", [c.emit("softplus", [x])])])


def selu(c, x):
    return c.emit("mul", [c.emit("elu", [x], {"alpha": _SELU_ALPHA}), _SELU_SCALE])


def logsigmoid(c, x):
    return c.emit("neg", [c.emit("softplus", [c.emit("neg", [x])])])


def softsign(c, x):
    return c.emit("div", [x, c.emit("add", [c.emit("abs", [x]), 1.0])])


def prelu(c, x, w):
    """relu(x) - w relu(-x); a per-channel w ([C]) is reshaped to
    [C, 1, ...] so that it meets dim 1 of x, as PyTorch's prelu does."""
    rank = len(c.shape(x))
    n = c.shape(w)[0] if c.shape(w) else 1
    if n > 1 and rank > 2:
        w = c.emit("reshape", [w], {"shape": [n] + [1] * (rank - 2)})
    neg = c.emit("relu", [c.emit("neg", [x])])
    return c.emit("sub", [c.emit("relu", [x]), c.emit("mul", [w, neg])])


def logical_not(c, x):
    if c.em.dtypes.get(x) != "bool":
        raise c.error("~ / logical_not of a %s tensor is not supported (bool masks only)"
                      % c.em.dtypes.get(x))
    false = c.emit("full", [], {"size": [], "fill_value": 0, "dtype": "bool"})
    return c.emit("eq", [x, false])


def _f(fn, extra=""):
    """A function handler of one tensor (an `inplace` argument is the walk's:
    export_inplace.py)."""
    def h(c, args, kwargs):
        return fn(c, c.t(bind(c, args, kwargs, "input " + extra)["input"]))
    return h


def _m(fn):
    def h(c, mod, q, args, kwargs):
        return fn(c, c.t(args[0]))
    return h


def _f_prelu(c, args, kwargs):
    a = bind(c, args, kwargs, "input weight")
    return prelu(c, c.t(a["input"]), c.t(a["weight"], "weight"))


def _m_prelu(c, mod, q, args, kwargs):
    return prelu(c, c.t(args[0]), c.state(q + ".weight"))


def tables(torch, nn, F, operator):
    """(FUNCTIONS, METHODS, MODULES) rows of this file."""
    functions = {
        F.hardsigmoid: _f(hardsigmoid, "inplace=False"),
        F.hardswish: _f(hardswish, "inplace=False"),
        F.mish: _f(mish, "inplace=False"), F.selu: _f(selu, "inplace=False"),
        torch.selu: _f(selu), F.logsigmoid: _f(logsigmoid), F.softsign: _f(softsign),
        F.prelu: _f_prelu, torch.prelu: _f_prelu,
        operator.invert: _f(logical_not), torch.logical_not: _f(logical_not),
    }
    methods = {"logical_not": _f(logical_not)}
    modules = {
        nn.Hardsigmoid: _m(hardsigmoid), nn.Hardswish: _m(hardswish), nn.Mish: _m(mish),
        nn.SELU: _m(selu), nn.LogSigmoid: _m(logsigmoid), nn.Softsign: _m(softsign),
        nn.PReLU: _m_prelu,
    }
    return functions, methods, modules
