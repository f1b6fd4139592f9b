"""torch.einsum of one or two operands, as gradc's permute, sum, reshape and
matmul (PyTorch computes a two-operand einsum as a batched matrix product
too, so the values agree to rounding and the gradients are matmul's):

    "bhid,bhjd->bhij"  batch b h, left-only i, right-only j, contracted d:
    A -> [b h, i, d], B -> [b h, d, j], matmul, reshape [b, h, i, j], permute

An index in one operand only and not in the output is summed first. Not
supported (refused by name): repeated indices in one operand (diagonals),
an ellipsis, three or more operands.
"""

__all__ = ["einsum"]


def _parse(c, equation, n):
    eq = equation.replace(" ", "")
    if "..." in eq:
        raise c.error("einsum with an ellipsis is not supported")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:  # implicit output: the indices seen once, in alphabetical order
        lhs = eq
        letters = lhs.replace(",", "")
        out = "".join(sorted(ch for ch in set(letters) if letters.count(ch) == 1))
    terms = lhs.split(",")
    if len(terms) != n:
        raise c.error("einsum equation '%s' has %d operands, got %d" % (equation, len(terms), n))
    for t in terms + [out]:
        if len(set(t)) != len(t):
            raise c.error("einsum with a repeated index in one term ('%s') is not supported" % t)
    return terms, out


def _sum_out(c, x, term, keep):
    """Sums the indices of `term` not in `keep`; returns (x, term)."""
    drop = [i for i, ch in enumerate(term) if ch not in keep]
    if not drop:
        return x, term
    x = c.emit("sum", [x], {"dim": drop})
    return x, "".join(ch for ch in term if ch in keep)


def _permute(c, x, term, order):
    if term == order:
        return x
    return c.emit("permute", [x], {"dims": [term.index(ch) for ch in order]})


def einsum(c, args, kwargs):
    if kwargs or not args or not isinstance(args[0], str):
        raise c.error("einsum takes an equation and its operands")
    ops = list(args[1:])  # torch.einsum(eq, a, b) or torch.einsum(eq, [a, b])
    if len(ops) == 1 and isinstance(ops[0], (tuple, list)):
        ops = list(ops[0])
    if len(ops) not in (1, 2):
        raise c.error("einsum of %d operands is not supported (one or two)" % len(ops))
    terms, out = _parse(c, args[0], len(ops))
    xs = [c.t(x, "operand") for x in ops]
    sizes = {}
    for x, t in zip(xs, terms):
        for ch, n in zip(t, c.shape(x)):
            sizes[ch] = n
    if len(xs) == 1:
        x, t = _sum_out(c, xs[0], terms[0], out)
        return _permute(c, x, t, out)
    (A, B), (ta, tb) = xs, terms
    A, ta = _sum_out(c, A, ta, tb + out)
    B, tb = _sum_out(c, B, tb, ta + out)
    batch = "".join(ch for ch in out if ch in ta and ch in tb)
    left = "".join(ch for ch in ta if ch not in tb)
    right = "".join(ch for ch in tb if ch not in ta)
    contr = "".join(ch for ch in ta if ch in tb and ch not in out)

    def prod(chs):
        n = 1
        for ch in chs:
            n *= sizes[ch]
        return n

    A = _permute(c, A, ta, batch + left + contr)
    B = _permute(c, B, tb, batch + contr + right)
    A = c.emit("reshape", [A], {"shape": [prod(batch), prod(left), prod(contr)]})
    B = c.emit("reshape", [B], {"shape": [prod(batch), prod(contr), prod(right)]})
    y = c.emit("matmul", [A, B])
    y = c.emit("reshape", [y], {"shape": [sizes[ch] for ch in batch + left + right]})
    return _permute(c, y, batch + left + right, out)
