"""Folding of ONNX nodes whose operands are all constants, at import time.

torch.onnx writes some shapes and masks as small subgraphs over constants
(F.pad's pads are a ConstantOfShape, Concat, Reshape, Slice, Transpose and
Cast; chunk's bounds a Shape, Gather, Add, Div and Mul). gradc's shapes are
static, so such a node is computed here with numpy, and its result is a
constant like an initializer. A node that reads a
trainable initializer is never folded: its gradient would be lost.
"""

__all__ = ["FOLD", "fold"]


def _ints(a):
    return [int(v) for v in a]


def _slice(np, x, starts, ends, axes=None, steps=None):
    axes = _ints(axes) if axes is not None else list(range(len(starts)))
    steps = _ints(steps) if steps is not None else [1] * len(starts)
    idx = [slice(None)] * x.ndim
    for s, e, ax, st in zip(_ints(starts), _ints(ends), axes, steps):
        idx[ax] = slice(s, e, st)
    return x[tuple(idx)]


def _reshape(np, x, shape, allowzero=0):
    shape = _ints(shape)
    if not allowzero:
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _unsqueeze(np, x, axes):
    rank = x.ndim + len(axes)
    for ax in sorted(int(v) % rank for v in axes):
        x = np.expand_dims(x, ax)
    return x


def _div(np, x, y):
    """ONNX Div: integer division truncates toward zero (C's), floats divide."""
    if np.issubdtype(np.result_type(x, y), np.integer):
        return np.fix(np.true_divide(x, y)).astype(np.result_type(x, y))
    return np.true_divide(x, y)


def _constant_of_shape(np, shape, value=None):
    v = value if value is not None else np.zeros(1, "float32")
    return np.full(_ints(shape), v.reshape(-1)[0], dtype=v.dtype)


# op_type -> fn(np, operands..., attrs) -> ndarray
FOLD = {
    "ConstantOfShape": lambda np, x, a: _constant_of_shape(np, x, a.get("value")),
    "Concat": lambda np, *xs_a: np.concatenate(xs_a[:-1], axis=xs_a[-1]["axis"]),
    "Reshape": lambda np, x, s, a: _reshape(np, x, s, a.get("allowzero", 0)),
    "Slice": lambda np, x, *r: _slice(np, x, *r[:-1]),
    "Transpose": lambda np, x, a: np.transpose(x, a.get("perm")),
    "Unsqueeze": lambda np, x, axes, a: _unsqueeze(np, x, axes),
    "Squeeze": lambda np, x, *r: np.squeeze(x, tuple(_ints(r[0])) if len(r) > 1 else None),
    "Equal": lambda np, x, y, a: np.equal(x, y),
    "Not": lambda np, x, a: np.logical_not(x),
    "Or": lambda np, x, y, a: np.logical_or(x, y),
    "And": lambda np, x, y, a: np.logical_and(x, y),
    "Add": lambda np, x, y, a: np.add(x, y),
    "Sub": lambda np, x, y, a: np.subtract(x, y),
    "Mul": lambda np, x, y, a: np.multiply(x, y),
    "Div": lambda np, x, y, a: _div(np, x, y),
    "Neg": lambda np, x, a: np.negative(x),
    "Where": lambda np, m, x, y, a: np.where(m, x, y),
    "Expand": lambda np, x, s, a: x * np.ones(_ints(s), x.dtype),
    "Range": lambda np, s, e, d, a: np.arange(s, e, d, dtype=np.result_type(s, e, d)),
}


def fold(c, n, attrs):
    """The value of node `n` when it can be computed now, else None."""
    fn = FOLD.get(n.op_type)
    if fn is None or not n.input:
        return None
    operands = []
    for name in n.input:
        if not name:  # an optional operand left out (Slice's steps)
            operands.append(None)
            continue
        if name not in c.consts or c.is_trainable(name):
            return None
        operands.append(c.consts[name])
    while operands and operands[-1] is None:
        operands.pop()
    if any(o is None for o in operands):
        return None
    out = fn(c.np, *operands, attrs)
    return c.np.asarray(out)
