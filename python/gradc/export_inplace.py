"""In-place operations in an exported callable (`nn.ReLU(inplace=True)`,
`F.relu(x, inplace=True)`, `x.relu_()`, `x.masked_fill_(m, v)`).

gradc's graphs are pure: a node never changes its operands. An in-place
operation is exported as its out-of-place op, and from then on every later
use of the tensor it wrote (and of its aliases: `identity = x` in Python,
`x.contiguous()`, `nn.Identity`, dropout in eval mode, a `.float()` that
changes nothing) reads the new value, which is what PyTorch computes.

What this cannot express is a write through a view that something else
still reads (`v = x.view(-1); v.relu_(); use(x)`: PyTorch changes `x` too):
that is refused, naming the line. Writing into a view nobody reads after
(the usual case) or into a tensor whose views are all dead is exported.
"""

import inspect
import operator

import torch

__all__ = ["mutated", "Aliases"]

# Tensor methods and functions whose result shares the operand's storage.
_VIEW_METHODS = {"view", "view_as", "reshape", "reshape_as", "transpose", "t", "permute",
                 "expand", "expand_as", "squeeze", "unsqueeze", "flatten", "unflatten", "split",
                 "chunk", "narrow", "select", "unbind", "detach", "__getitem__", "T", "mT"}
_VIEW_FUNCTIONS = {torch.reshape, torch.flatten, torch.transpose, torch.t, torch.permute,
                   torch.squeeze, torch.unsqueeze, torch.split, torch.chunk, torch.narrow,
                   torch.select, torch.unbind, torch.detach, operator.getitem, getattr}
_VIEW_MODULES = (torch.nn.Flatten, torch.nn.Unflatten)


def _signature_inplace(target, args, kwargs):
    """The value of a function's `inplace` argument (F.relu(x, True))."""
    if "inplace" in kwargs:
        return bool(kwargs["inplace"])
    try:
        bound = inspect.signature(target).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return False
    return bool(bound.arguments.get("inplace", False))


def mutated(gm, node):
    """The fx node an in-place operation writes into, or None."""
    if not node.args:
        return None
    if node.op == "call_module":
        mod = gm.get_submodule(node.target)
        return node.args[0] if getattr(mod, "inplace", False) is True else None
    if node.op == "call_method":
        t = node.target
        return node.args[0] if t.endswith("_") and not t.startswith("_") else None
    if node.op == "call_function":
        name = getattr(node.target, "__name__", "")
        mod = getattr(node.target, "__module__", "") or ""
        if name.endswith("_") and not name.startswith("_") and (
                mod.startswith("torch") or mod == ""):
            return node.args[0]  # torch.relu_, F.relu_
        if name in ("iadd", "isub", "imul", "itruediv", "setitem") and mod in ("_operator",
                                                                                "operator"):
            return node.args[0]
        if callable(node.target) and _signature_inplace(node.target, node.args, node.kwargs):
            return node.args[0]
    return None


def _is_view(gm, node):
    if node.op == "call_method":
        return node.target in _VIEW_METHODS
    if node.op == "call_function":
        return node.target in _VIEW_FUNCTIONS
    if node.op == "call_module":
        return isinstance(gm.get_submodule(node.target), _VIEW_MODULES)
    return False


class Aliases:
    """Which fx nodes are one tensor (aliases: the same gradc value, not
    copied) and which share storage (views), for in-place writes."""

    def __init__(self, gm):
        self.gm = gm
        self.order = {n: i for i, n in enumerate(gm.graph.nodes)}
        self.root = {}  # fx node -> the node whose tensor it is (an alias)

    def record(self, node, value, env):
        """After a node is converted: it is an alias of its first tensor
        operand when the handler returned that operand's value itself
        (clone is not: it copies)."""
        if node.op == "call_method" and node.target == "clone":
            return
        if node.op == "call_function" and node.target is torch.clone:
            return
        for a in node.all_input_nodes[:1]:
            if isinstance(value, str) and env.get(a) == value:
                self.root[node] = self.root.get(a, a)

    def _storage(self, node):
        """The node whose storage `node` shows (through aliases and views)."""
        seen = 0
        while seen < 10000:
            seen += 1
            node = self.root.get(node, node)
            if _is_view(self.gm, node) and node.all_input_nodes:
                node = node.all_input_nodes[0]
                continue
            return node
        return node

    def write(self, c, node, target, out, env):
        """`node` wrote `out` into the tensor of fx node `target`: later
        uses of that tensor and of its aliases read `out`."""
        here = self.order[node]
        cls = self.root.get(target, target)
        same = [k for k in env if self.root.get(k, k) is cls]
        storage = self._storage(target)
        for k in env:
            if k in same or k is node or self.order.get(k, -1) >= here:
                continue
            if not isinstance(c.values.get(k), torch.Tensor):
                continue  # x.shape, a size: not memory
            if self._storage(k) is not storage:
                continue
            later = [u for u in k.users if self.order.get(u, -1) > here]
            if later:
                raise c.error(
                    "an in-place operation writes through a view, and '%s' (which shares "
                    "that memory) is read after it; gradc's graphs are pure, so write "
                    "x = op(x) instead" % k.name)
        for k in same:
            env[k] = out
        self.root[node] = cls
