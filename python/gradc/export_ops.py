"""The mapping from PyTorch operations to gradc ops, used by gradc.export.

Three tables, keyed by what a torch.fx node calls:

    FUNCTIONS  torch.*, torch.nn.functional.* and operator.* functions
    METHODS    Tensor methods, by name
    MODULES    nn.Module classes (leaf modules: fx does not trace into them)

Each row maps to a handler (export_builders.py says what handlers see).
Most rows are one line built from a helper: `unary("exp")`,
`binary("add")`, `reduce("sum")`, or `attr_op("leaky_relu",
"negative_slope=0.01 inplace=False")` for an op whose PyTorch arguments
after the tensor are gradc attributes of the same names (the spec is
PyTorch's signature with its defaults). A new gradc op is one new row.
Handlers with more logic live in export_layers.py (linear, convolution,
pooling, normalization, embedding, dropout), export_losses.py (the losses
and batch_norm) and export_shapes.py (shape ops and indexing).

NOT_YET names the PyTorch operations gradc has no op for yet, so their error
says which gradc op is missing.
"""

import operator

import torch
import torch.nn as nn
import torch.nn.functional as F

from .export_builders import (amax, attr_op, binary, extremum, identity, index_reduce,
                              m_activation, reduce, softmax, stat_reduce, unary)
from . import export_activations as A
from .export_attention import m_multihead_attention
from .export_einsum import einsum
from . import export_layers as L
from . import export_losses as X
from . import export_shapes as S

__all__ = ["FUNCTIONS", "METHODS", "MODULES", "NOT_YET", "RANDOM"]


# Random factories: refused when folding constants (export_context.py).
RANDOM = {torch.rand, torch.randn, torch.randint, torch.rand_like, torch.randn_like,
          torch.randint_like, torch.normal, torch.bernoulli, torch.multinomial, torch.randperm}

# Ops of one tensor with attributes, shared by functions and methods.
_GELU = attr_op("gelu", "approximate='none'")
_LEAKY = attr_op("leaky_relu", "negative_slope=0.01 inplace=False")
_CLAMP = attr_op("clamp", "min=None max=None")
_LOGSUMEXP = attr_op("logsumexp", "dim keepdim=False")
_NORM = attr_op("norm", "p='fro' dim=None keepdim=False out=None dtype=None")
_CUMSUM = attr_op("cumsum", "dim dtype=None")
_TRIU, _TRIL = attr_op("triu", "diagonal=0"), attr_op("tril", "diagonal=0")



MODULES = {
    nn.Linear: L.m_linear, nn.MultiheadAttention: m_multihead_attention,
    nn.Conv1d: L.m_conv("conv1d"), nn.Conv2d: L.m_conv("conv2d"),
    nn.MaxPool2d: L.m_max_pool2d, nn.AvgPool2d: L.m_avg_pool2d,
    nn.AdaptiveAvgPool2d: L.m_adaptive_avg_pool2d,
    nn.AdaptiveMaxPool2d: L.m_adaptive_max_pool2d,
    nn.LayerNorm: L.m_layer_norm, nn.GroupNorm: L.m_group_norm,
    nn.Embedding: L.m_embedding,
    nn.ReLU: m_activation("relu"), nn.Sigmoid: m_activation("sigmoid"),
    nn.Tanh: m_activation("tanh"), nn.SiLU: m_activation("silu"),
    nn.GELU: m_activation("gelu", "approximate"),
    nn.LeakyReLU: m_activation("leaky_relu", "negative_slope"),
    nn.ELU: m_activation("elu", "alpha"),
    nn.Softplus: m_activation("softplus", "beta threshold"),
    nn.Hardtanh: m_activation("hardtanh", "min_val max_val"),  # nn.ReLU6 too (a subclass)
    nn.Softmax: lambda c, m, q, a, k: softmax("softmax")(c, a, {"dim": m.dim}),
    nn.LogSoftmax: lambda c, m, q, a, k: softmax("log_softmax")(c, a, {"dim": m.dim}),
    nn.Identity: lambda c, m, q, a, k: a[0],
    nn.ZeroPad2d: S.m_pad, nn.ConstantPad1d: S.m_pad, nn.ConstantPad2d: S.m_pad,
    nn.Dropout: L.m_dropout,
    nn.Flatten: lambda c, m, q, a, k: S.flatten_to(c, a[0], m.start_dim, m.end_dim),
    nn.MSELoss: X.m_mse_loss, nn.CrossEntropyLoss: X.m_cross_entropy,
    nn.NLLLoss: X.m_nll_loss, nn.BCELoss: X.m_bce, nn.BCEWithLogitsLoss: X.m_bce_logits,
    nn.KLDivLoss: X.m_kl_div, nn.L1Loss: X.m_l1_loss, nn.SmoothL1Loss: X.m_smooth_l1_loss,
    nn.HuberLoss: X.m_huber_loss,
    nn.BatchNorm1d: X.m_batch_norm, nn.BatchNorm2d: X.m_batch_norm,
}

FUNCTIONS = {
    # elementwise
    operator.add: binary("add"), torch.add: binary("add"),
    operator.sub: binary("sub"), torch.sub: binary("sub"),
    operator.mul: binary("mul"), torch.mul: binary("mul"),
    operator.truediv: binary("div"), torch.div: binary("div"),
    operator.pow: binary("pow"), torch.pow: binary("pow"),
    operator.neg: unary("neg"), torch.neg: unary("neg"),
    torch.maximum: binary("maximum"), torch.minimum: binary("minimum"),
    operator.gt: binary("gt"), operator.ge: binary("ge"), operator.lt: binary("lt"),
    operator.le: binary("le"), operator.eq: binary("eq"), operator.ne: binary("ne"),
    torch.gt: binary("gt"), torch.ge: binary("ge"), torch.lt: binary("lt"),
    torch.le: binary("le"), torch.eq: binary("eq"), torch.ne: binary("ne"),
    torch.exp: unary("exp"), torch.log: unary("log"), torch.sqrt: unary("sqrt"),
    torch.abs: unary("abs"), torch.sin: unary("sin"), torch.cos: unary("cos"),
    torch.sign: unary("sign"), torch.detach: unary("detach"),
    torch.erf: unary("erf"), torch.special.erf: unary("erf"),
    torch.log1p: unary("log1p"), torch.expm1: unary("expm1"),
    torch.rsqrt: unary("rsqrt"), torch.reciprocal: unary("reciprocal"),
    torch.square: unary("square"),
    torch.tanh: unary("tanh"), F.tanh: unary("tanh"),
    torch.sigmoid: unary("sigmoid"), F.sigmoid: unary("sigmoid"),
    torch.relu: unary("relu"), F.relu: unary("relu", "inplace=False"),
    # in-place forms: the op, then later uses read its result (export_inplace.py)
    torch.relu_: unary("relu"), F.relu_: unary("relu"), torch.sigmoid_: unary("sigmoid"),
    torch.tanh_: unary("tanh"), F.leaky_relu_: _LEAKY, F.elu_: attr_op("elu", "alpha=1.0"),
    F.hardtanh_: attr_op("hardtanh", "min_val=-1.0 max_val=1.0"),
    F.silu: unary("silu", "inplace=False"), F.gelu: _GELU,
    F.leaky_relu: _LEAKY, F.elu: attr_op("elu", "alpha=1.0 inplace=False"),
    F.softplus: attr_op("softplus", "beta=1 threshold=20"),
    F.hardtanh: attr_op("hardtanh", "min_val=-1.0 max_val=1.0 inplace=False"),
    F.relu6: attr_op("hardtanh", "inplace=False", {"min_val": 0.0, "max_val": 6.0}),
    torch.clamp: _CLAMP, torch.clip: _CLAMP,
    torch.where: S.where,
    torch.masked_fill: L.masked_fill, torch.triu: _TRIU, torch.tril: _TRIL,
    # linear algebra, convolution, pooling, normalization
    operator.matmul: binary("matmul"), torch.matmul: binary("matmul"),
    torch.mm: binary("matmul"), torch.bmm: binary("matmul"),
    F.linear: L.f_linear, torch.addmm: L.addmm, torch.einsum: einsum,
    F.conv1d: L.f_conv("conv1d"), torch.conv1d: L.f_conv("conv1d"),
    F.conv2d: L.f_conv("conv2d"), torch.conv2d: L.f_conv("conv2d"),
    F.max_pool2d: L.f_max_pool2d, F.avg_pool2d: L.f_avg_pool2d,
    F.adaptive_avg_pool2d: L.f_adaptive_avg_pool2d,
    F.adaptive_max_pool2d: L.f_adaptive_max_pool2d,
    F.layer_norm: L.f_layer_norm, F.group_norm: L.f_group_norm,
    F.embedding: L.f_embedding, F.dropout: L.f_dropout, F.normalize: S.normalize,
    F.pad: S.pad,
    # reductions, softmax, losses
    torch.sum: reduce("sum"), torch.mean: reduce("mean"),
    torch.max: extremum("max", "maximum"), torch.min: extremum("min", "minimum"),
    torch.amax: amax("max"), torch.amin: amax("min"),
    torch.logsumexp: _LOGSUMEXP, torch.var: stat_reduce("var"), torch.std: stat_reduce("std"),
    torch.norm: _NORM, torch.cumsum: _CUMSUM,
    torch.argmax: index_reduce("argmax"), torch.argmin: index_reduce("argmin"),
    torch.softmax: softmax("softmax"), F.softmax: softmax("softmax"),
    torch.log_softmax: softmax("log_softmax"), F.log_softmax: softmax("log_softmax"),
    F.cross_entropy: X.f_cross_entropy, F.mse_loss: X.f_mse_loss,
    F.nll_loss: X.f_nll_loss, F.l1_loss: X.f_l1_loss, F.smooth_l1_loss: X.f_smooth_l1_loss,
    F.huber_loss: X.f_huber_loss, F.binary_cross_entropy: X.f_bce,
    F.binary_cross_entropy_with_logits: X.f_bce_logits, F.batch_norm: X.f_batch_norm,
    F.kl_div: X.f_kl_div,
    # indexing
    torch.index_select: S.index_select, torch.gather: S.gather, torch.select: S.select,
    F.one_hot: S.one_hot, torch.zeros_like: S.fill_like("zeros_like"),
    torch.ones_like: S.fill_like("ones_like"),
    # shapes
    torch.reshape: S.reshape, torch.flatten: S.flatten, torch.transpose: S.transpose,
    torch.t: S.t2, torch.permute: S.permute, torch.squeeze: S.squeeze,
    torch.unsqueeze: S.unsqueeze, torch.cat: S.cat, torch.concat: S.cat, torch.split: S.split,
    torch.chunk: S.chunk, torch.stack: S.stack, torch.unbind: S.unbind, torch.narrow: S.narrow,
    operator.getitem: S.getitem, getattr: S.attribute, operator.setitem: S.setitem,
}

METHODS = {
    "add": binary("add"), "sub": binary("sub"), "mul": binary("mul"), "div": binary("div"),
    "pow": binary("pow"), "neg": unary("neg"), "matmul": binary("matmul"),
    "maximum": binary("maximum"), "minimum": binary("minimum"),
    "exp": unary("exp"), "log": unary("log"), "sqrt": unary("sqrt"), "abs": unary("abs"),
    "sin": unary("sin"), "cos": unary("cos"), "tanh": unary("tanh"),
    "sigmoid": unary("sigmoid"), "relu": unary("relu"), "sign": unary("sign"),
    "detach": unary("detach"), "erf": unary("erf"), "log1p": unary("log1p"),
    "expm1": unary("expm1"), "rsqrt": unary("rsqrt"), "reciprocal": unary("reciprocal"),
    "square": unary("square"),
    "clamp": _CLAMP, "clip": _CLAMP,
    "clamp_min": attr_op("clamp", "min"), "clamp_max": attr_op("clamp", "max"),
    "sum": reduce("sum"), "mean": reduce("mean"),
    "max": extremum("max", "maximum"), "min": extremum("min", "minimum"),
    "amax": amax("max"), "amin": amax("min"),
    "logsumexp": _LOGSUMEXP, "var": stat_reduce("var"), "std": stat_reduce("std"),
    "norm": _NORM, "cumsum": _CUMSUM,
    "argmax": index_reduce("argmax"), "argmin": index_reduce("argmin"),
    "softmax": softmax("softmax"), "log_softmax": softmax("log_softmax"),
    "masked_fill": L.masked_fill, "addmm": L.addmm, "triu": _TRIU, "tril": _TRIL,
    "reshape": S.reshape, "view": S.reshape, "flatten": S.flatten, "transpose": S.transpose,
    "t": S.t2, "permute": S.permute, "expand": S.expand, "squeeze": S.squeeze,
    "unsqueeze": S.unsqueeze, "split": S.split, "chunk": S.chunk, "unbind": S.unbind,
    "narrow": S.narrow, "unflatten": S.unflatten, "view_as": S.as_shape("reshape"), "reshape_as": S.as_shape("reshape"),
    "expand_as": S.as_shape("expand"), "contiguous": identity("input memory_format=None"),
    "clone": identity("input memory_format=None"),
    "index_select": S.index_select, "gather": S.gather, "select": S.select,
    "float": S.same_dtype, "double": S.same_dtype, "to": S.same_dtype, "type_as": S.same_dtype,
    "type": S.same_dtype, "cpu": S.device_noop, "cuda": S.device_noop,
    "bool": S.same_dtype, "new_zeros": S.new_full(0), "new_ones": S.new_full(1),
    "new_full": S.new_full(None),
}

# Activations written as formulas (export_activations.py).
_A_FUNCTIONS, _A_METHODS, _A_MODULES = A.tables(torch, nn, F, operator)
FUNCTIONS.update(_A_FUNCTIONS)
METHODS.update(_A_METHODS)
MODULES.update(_A_MODULES)

# PyTorch operations whose gradc op does not exist yet: the error names it.
NOT_YET = {
    nn.BatchNorm3d: "batch_norm over 5-D inputs",
    nn.MaxPool1d: "max_pool1d", F.max_pool1d: "max_pool1d",
    nn.AvgPool1d: "avg_pool1d", F.avg_pool1d: "avg_pool1d",
    nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "rnn",
}
