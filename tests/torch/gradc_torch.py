"""Runs gradc JSON graphs through PyTorch and through `gradc run`, and compares.

The PyTorch side interprets the graph node by node with the PyTorch call each
gradc op stands for (DESIGN.md: names and attributes are PyTorch's), then
calls torch.autograd.backward on the roots with the same seeds. The gradc
side runs `gradc run GRAPH --format json --inputs F --seeds F --backward ...`.
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import warnings

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the test set-up installs python3-torch
    print("PyTorch is not installed for", sys.executable, "- skipping")
    sys.exit(77)

# Broadcast loss targets are part of the cross-checks; PyTorch warns.
warnings.filterwarnings("ignore", message="Using a target size")

DTYPES = {"f32": torch.float32, "f64": torch.float64,
          "i32": torch.int32, "i64": torch.int64}


def _dims(attrs, key="dim"):
    d = attrs.get(key)
    return [d] if isinstance(d, int) else d


def _dtype(attrs):
    """The dtype attribute of a factory, or None (PyTorch infers it)."""
    d = attrs.get("dtype")
    return None if d is None else dict(DTYPES, bool=torch.bool)[d]


def _scalar_like(v, ref):
    return torch.tensor(v, dtype=ref.dtype)


def _binary(fn, needs_tensors=False, operator=None):
    """A binary op. With a Python number on either side, arithmetic ops use
    the Python operator (`2 - x`, `x ** 2`), as a PyTorch user writes them
    (and as gradc names their grad_fn); others wrap the number as a tensor."""
    def run(args, attrs):
        a, b = args
        if operator and not (torch.is_tensor(a) and torch.is_tensor(b)):
            return operator(a, b)
        if needs_tensors or not torch.is_tensor(a) or not torch.is_tensor(b):
            ref = a if torch.is_tensor(a) else b
            a = a if torch.is_tensor(a) else _scalar_like(a, ref)
            b = b if torch.is_tensor(b) else _scalar_like(b, ref)
        return fn(a, b)
    return run


def _var_std(f, x, k):
    corr = k.get("correction", 1 if k.get("unbiased", True) else 0)
    dims = _dims(k)
    if dims is None and not k.get("keepdim", False):
        return f(x, unbiased=bool(corr)) if corr in (0, 1) else f(x, None, correction=corr)
    if dims is None:  # PyTorch 1.13's backward of dim=None, keepdim=True is broken
        dims = list(range(x.dim()))
    return f(x, dim=dims, correction=corr, keepdim=k.get("keepdim", False))


def _reduce(kind):
    def run(args, attrs):
        x, = args
        dims = _dims(attrs)
        keep = attrs.get("keepdim", False)
        if kind in ("sum", "mean"):
            f = torch.sum if kind == "sum" else torch.mean
            if dims is None or dims == []:
                return f(x) if not keep else f(x, dim=tuple(range(x.dim())), keepdim=True)
            return f(x, dim=tuple(dims), keepdim=keep)
        if dims is None and not keep:
            # x.max(): the gradient is spread over ties (MaxBackward1).
            return x.max() if kind == "max" else x.min()
        if dims is None:  # keepdim without dim: amax over every dim
            f = torch.amax if kind == "max" else torch.amin
            return f(x, dim=tuple(range(x.dim())), keepdim=True)
        if len(dims) == 1:
            r = x.max(dims[0], keepdim=keep) if kind == "max" else x.min(dims[0], keepdim=keep)
            return r[0]
        f = torch.amax if kind == "max" else torch.amin
        return f(x, dim=tuple(dims), keepdim=keep)
    return run


def _slice(args, attrs):
    x, = args
    d = attrs.get("dim", 0)
    d = d + x.dim() if d < 0 else d
    idx = [slice(None)] * x.dim()
    idx[d] = slice(attrs.get("start", 0), attrs.get("end", None), attrs.get("step", 1))
    return x[tuple(idx)]


def _pair(v):
    """An int-or-pair attribute as PyTorch's functional API takes it."""
    return tuple(v) if isinstance(v, list) else v


def _squeeze(args, attrs):
    x, = args
    if "dim" not in attrs:
        return x.squeeze()
    dims = _dims(attrs)
    for d in sorted([d + x.dim() if d < 0 else d for d in dims], reverse=True):
        x = x.squeeze(d)
    return x


OPS = {
    "neg": lambda a, k: torch.neg(a[0]),
    "exp": lambda a, k: torch.exp(a[0]),
    "log": lambda a, k: torch.log(a[0]),
    "sqrt": lambda a, k: torch.sqrt(a[0]),
    "abs": lambda a, k: torch.abs(a[0]),
    "sin": lambda a, k: torch.sin(a[0]),
    "cos": lambda a, k: torch.cos(a[0]),
    "tanh": lambda a, k: torch.tanh(a[0]),
    "sigmoid": lambda a, k: torch.sigmoid(a[0]),
    "relu": lambda a, k: torch.relu(a[0]),
    "sign": lambda a, k: torch.sign(a[0]),
    "square": lambda a, k: torch.square(a[0]),
    "gelu": lambda a, k: F.gelu(a[0], approximate=k.get("approximate", "none")),
    "silu": lambda a, k: F.silu(a[0]),
    "leaky_relu": lambda a, k: F.leaky_relu(a[0], k.get("negative_slope", 0.01)),
    "elu": lambda a, k: F.elu(a[0], k.get("alpha", 1.0)),
    "softplus": lambda a, k: F.softplus(a[0], k.get("beta", 1), k.get("threshold", 20)),
    "erf": lambda a, k: torch.erf(a[0]),
    "log1p": lambda a, k: torch.log1p(a[0]),
    "expm1": lambda a, k: torch.expm1(a[0]),
    "rsqrt": lambda a, k: torch.rsqrt(a[0]),
    "reciprocal": lambda a, k: torch.reciprocal(a[0]),
    "clamp": lambda a, k: torch.clamp(a[0], k.get("min"), k.get("max")),
    "hardtanh": lambda a, k: F.hardtanh(a[0], k.get("min_val", -1.0), k.get("max_val", 1.0)),
    "detach": lambda a, k: a[0].detach(),
    "add": _binary(torch.add, operator=lambda a, b: a + b),
    "sub": _binary(torch.sub, operator=lambda a, b: a - b),
    "mul": _binary(torch.mul, operator=lambda a, b: a * b),
    "div": _binary(torch.div, operator=lambda a, b: a / b),
    "pow": _binary(torch.pow, operator=lambda a, b: a ** b),
    "maximum": _binary(torch.maximum, True),
    "minimum": _binary(torch.minimum, True),
    "lt": _binary(torch.lt), "le": _binary(torch.le), "gt": _binary(torch.gt),
    "ge": _binary(torch.ge), "eq": _binary(torch.eq), "ne": _binary(torch.ne),
    "where": lambda a, k: torch.where(
        a[0],
        a[1] if torch.is_tensor(a[1]) else _scalar_like(a[1], a[2]),
        a[2] if torch.is_tensor(a[2]) else _scalar_like(a[2], a[1])),
    "sum": _reduce("sum"), "mean": _reduce("mean"),
    "max": _reduce("max"), "min": _reduce("min"),
    "logsumexp": lambda a, k: torch.logsumexp(a[0], _dims(k), k.get("keepdim", False)),
    "var": lambda a, k: _var_std(torch.var, a[0], k),
    "std": lambda a, k: _var_std(torch.std, a[0], k),
    "norm": lambda a, k: torch.norm(a[0], dim=_dims(k), keepdim=k.get("keepdim", False)),
    "argmax": lambda a, k: torch.argmax(a[0], k.get("dim"), k.get("keepdim", False)),
    "argmin": lambda a, k: torch.argmin(a[0], k.get("dim"), k.get("keepdim", False)),
    "cumsum": lambda a, k: torch.cumsum(a[0], k["dim"]),
    "masked_fill": lambda a, k: a[0].masked_fill(a[1], k["value"]),
    "triu": lambda a, k: torch.triu(a[0], k.get("diagonal", 0)),
    "tril": lambda a, k: torch.tril(a[0], k.get("diagonal", 0)),
    "reshape": lambda a, k: a[0].reshape(k["shape"]),
    "expand": lambda a, k: a[0].expand(list(k["shape"])),
    "transpose": lambda a, k: a[0].transpose(k.get("dim0", 0), k.get("dim1", 1)),
    "permute": lambda a, k: a[0].permute(list(k["dims"])),
    "squeeze": _squeeze,
    "unsqueeze": lambda a, k: a[0].unsqueeze(k["dim"]),
    "concat": lambda a, k: torch.cat(a, dim=k.get("dim", 0)),
    "cat": lambda a, k: torch.cat(a, dim=k.get("dim", 0)),
    "slice": _slice,
    "embedding": lambda a, k: F.embedding(a[0].long(), a[1], k.get("padding_idx")),
    "index_select": lambda a, k: torch.index_select(a[0], k.get("dim", 0), a[1].long()),
    "gather": lambda a, k: torch.gather(a[0], k.get("dim", 0), a[1].long()),
    "select": lambda a, k: a[0].select(k.get("dim", 0), k["index"]),
    "one_hot": lambda a, k: F.one_hot(a[0].long(), k["num_classes"]),
    "arange": lambda a, k: torch.arange(k.get("start", 0), k["end"], k.get("step", 1),
                                        dtype=_dtype(k)),
    "full": lambda a, k: torch.full(k["size"], k["fill_value"], dtype=_dtype(k)),
    "zeros_like": lambda a, k: torch.zeros_like(a[0], dtype=_dtype(k)),
    "ones_like": lambda a, k: torch.ones_like(a[0], dtype=_dtype(k)),
    "matmul": lambda a, k: torch.matmul(a[0], a[1]),
    "softmax": lambda a, k: torch.softmax(a[0], k["dim"]),
    "log_softmax": lambda a, k: torch.log_softmax(a[0], k["dim"]),
    "cross_entropy": lambda a, k: F.cross_entropy(
        a[0], a[1].long(), a[2] if len(a) > 2 else None,
        reduction=k.get("reduction", "mean"),
        ignore_index=k.get("ignore_index", -100),
        label_smoothing=k.get("label_smoothing", 0.0)),
    "nll_loss": lambda a, k: F.nll_loss(
        a[0], a[1].long(), a[2] if len(a) > 2 else None,
        reduction=k.get("reduction", "mean"),
        ignore_index=k.get("ignore_index", -100)),
    "grad": lambda a, k: torch.autograd.grad(a[0], a[1], create_graph=True)[0],
    "mse_loss": lambda a, k: F.mse_loss(
        *torch.broadcast_tensors(
            a[0] if torch.is_tensor(a[0]) else _scalar_like(a[0], a[1]),
            a[1] if torch.is_tensor(a[1]) else _scalar_like(a[1], a[0])),
        reduction=k.get("reduction", "mean")),
    # Losses of issue 13 (composites), batch_norm, dropout. A JSON null
    # operand arrives here as None.
    "l1_loss": lambda a, k: F.l1_loss(
        a[0] if torch.is_tensor(a[0]) else _scalar_like(a[0], a[1]),
        a[1] if torch.is_tensor(a[1]) else _scalar_like(a[1], a[0]),
        reduction=k.get("reduction", "mean")),
    "smooth_l1_loss": lambda a, k: F.smooth_l1_loss(
        a[0], a[1], reduction=k.get("reduction", "mean"), beta=k.get("beta", 1.0)),
    "huber_loss": lambda a, k: F.huber_loss(
        a[0], a[1], reduction=k.get("reduction", "mean"), delta=k.get("delta", 1.0)),
    "binary_cross_entropy": lambda a, k: F.binary_cross_entropy(
        a[0], a[1], a[2] if len(a) > 2 else None, reduction=k.get("reduction", "mean")),
    "binary_cross_entropy_with_logits": lambda a, k: F.binary_cross_entropy_with_logits(
        a[0], a[1], a[2] if len(a) > 2 else None, reduction=k.get("reduction", "mean"),
        pos_weight=a[3] if len(a) > 3 else None),
    "batch_norm": lambda a, k: F.batch_norm(
        a[0], *(list(a[1:]) + [None] * (5 - len(a))),
        training=k.get("training", False), momentum=k.get("momentum", 0.1),
        eps=k.get("eps", 1e-5)),
    # gradc's mask is not PyTorch's draw: tests/torch/losses.py checks
    # dropout's masks on their own; this maps the op for graphs with p = 0
    # or training = false.
    "dropout": lambda a, k: F.dropout(a[0], k.get("p", 0.5), k.get("training", True)),
    # Convolution, pooling, normalization.
    "conv2d": lambda a, k: F.conv2d(
        a[0], a[1], a[2] if len(a) > 2 else None, stride=_pair(k.get("stride", 1)),
        padding=k["padding"] if isinstance(k.get("padding"), str) else _pair(k.get("padding", 0)),
        dilation=_pair(k.get("dilation", 1)), groups=k.get("groups", 1)),
    "conv1d": lambda a, k: F.conv1d(
        a[0], a[1], a[2] if len(a) > 2 else None, stride=_pair(k.get("stride", 1)),
        padding=k["padding"] if isinstance(k.get("padding"), str) else _pair(k.get("padding", 0)),
        dilation=_pair(k.get("dilation", 1)), groups=k.get("groups", 1)),
    "max_pool2d": lambda a, k: F.max_pool2d(
        a[0], _pair(k["kernel_size"]), _pair(k.get("stride")) or None,
        _pair(k.get("padding", 0)), _pair(k.get("dilation", 1)),
        ceil_mode=k.get("ceil_mode", False)),
    "avg_pool2d": lambda a, k: F.avg_pool2d(
        a[0], _pair(k["kernel_size"]), _pair(k.get("stride")) or None,
        _pair(k.get("padding", 0)), ceil_mode=k.get("ceil_mode", False),
        count_include_pad=k.get("count_include_pad", True)),
    "adaptive_avg_pool2d": lambda a, k: F.adaptive_avg_pool2d(
        a[0], _pair(k["output_size"])),
    "layer_norm": lambda a, k: F.layer_norm(
        a[0], list(k["normalized_shape"]) if isinstance(k["normalized_shape"], list)
        else [k["normalized_shape"]], a[1] if len(a) > 1 else None,
        a[2] if len(a) > 2 else None, k.get("eps", 1e-5)),
    "group_norm": lambda a, k: F.group_norm(
        a[0], k["num_groups"], a[1] if len(a) > 1 else None,
        a[2] if len(a) > 2 else None, k.get("eps", 1e-5)),
}


def run_torch(graph, inputs, seeds, roots):
    """Evaluates `graph` with PyTorch and, when `roots` is not empty, runs
    backward. Returns (outputs, grads, grad_fns): output tensors (still
    attached), the .grad of inputs that require grad (None as zeros), and
    the grad_fn class name of every named node that has one."""
    env = {}
    for spec in graph["inputs"]:
        dt = DTYPES[spec.get("dtype", "f32")]
        v = inputs[spec["name"]]
        t = torch.tensor(v["data"], dtype=torch.float64).reshape(v["shape"]).to(dt)
        if spec.get("requires_grad"):
            t.requires_grad_(True)
        env[spec["name"]] = t
    grad_fns = {}
    for node in graph["nodes"]:
        args = [env[a] if isinstance(a, str) else a for a in node["inputs"]]
        attrs = node.get("attrs", {})
        if node.get("no_grad"):
            with torch.no_grad():
                y = OPS[node["op"]](args, attrs)
        else:
            y = OPS[node["op"]](args, attrs)
        env[node["name"]] = y
        if y.grad_fn is not None:
            grad_fns[node["name"]] = type(y.grad_fn).__name__
    outs = {o: env[o] for o in graph["outputs"]}
    if roots:
        tensors = [outs[r] for r in roots]
        grads_in = [torch.tensor(seeds[r]["data"], dtype=torch.float64)
                    .reshape(seeds[r]["shape"]).to(outs[r].dtype)
                    if r in seeds else None for r in roots]
        torch.autograd.backward(tensors, grads_in)
    grads = {}
    for spec in graph["inputs"]:
        if spec.get("requires_grad"):
            t = env[spec["name"]]
            grads[spec["name"]] = t.grad if t.grad is not None else torch.zeros_like(t)
    return outs, grads, grad_fns


def run_gradc(gradc, graph, inputs, seeds, roots, workdir):
    """Runs `gradc run --format json`; returns the parsed JSON."""
    paths = {}
    for key, obj in (("graph", graph), ("inputs", inputs), ("seeds", seeds)):
        paths[key] = os.path.join(workdir, key + ".json")
        with open(paths[key], "w") as f:
            json.dump(obj, f)
    cmd = [gradc, "run", paths["graph"], "--format", "json",
           "--inputs", paths["inputs"], "--seeds", paths["seeds"]]
    if roots:
        cmd += ["--backward"] + list(roots)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("gradc run failed (%d): %s" % (p.returncode, p.stderr.strip()))
    return json.loads(p.stdout)


def gradc_grad_fns(gradc, graph, workdir):
    """grad_fn names gradc prints in its IR dump, by node name."""
    path = os.path.join(workdir, "graph.json")
    with open(path, "w") as f:
        json.dump(graph, f)
    p = subprocess.run([gradc, "dump", path, "--emit", "ir"], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("gradc dump failed: " + p.stderr.strip())
    names = {}
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith("%") and "grad_fn=<" in line:
            name = line[1:line.index(" ")].strip('"')
            names[name] = line[line.index("grad_fn=<") + 9:line.rindex(">")]
    return names


def gradc_printed_grad_fns(gradc, graph, inputs, workdir):
    """grad_fn names `gradc run --format torch` prints after each output
    (the optimized, compiled graph), by output name; None where it prints
    none."""
    paths = {}
    for key, obj in (("graph", graph), ("inputs", inputs)):
        paths[key] = os.path.join(workdir, key + "_printed.json")
        with open(paths[key], "w") as f:
            json.dump(obj, f)
    p = subprocess.run([gradc, "run", paths["graph"], "--format", "torch",
                        "--inputs", paths["inputs"]],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("gradc run --format torch failed: " + p.stderr.strip())
    names, current = {}, None
    for line in p.stdout.splitlines():
        if line.startswith("# "):
            current = line[2:]
            names[current] = None
        elif current is not None and "grad_fn=<" in line:
            names[current] = line[line.index("grad_fn=<") + 9:line.index(">", line.index("grad_fn=<"))]
    return names


def compare(label, got, want, rtol):
    """got: {"shape", "data"} from gradc; want: a tensor. Returns an error
    message or None. The error of a tensor is max |got - want| over
    max(max |want|, 1): relative for large values, absolute for small."""
    want_shape = list(want.shape)
    if got["shape"] != want_shape:
        return "%s: shape %s, PyTorch %s" % (label, got["shape"], want_shape)
    w = want.double().reshape(-1).tolist()
    g = got["data"]
    scale = 1.0
    for x in w:
        if math.isfinite(x):
            scale = max(scale, abs(x))
    worst, at = 0.0, -1
    for i, (a, b) in enumerate(zip(g, w)):
        a = float(a)
        if math.isnan(b) or math.isinf(b) or math.isnan(a) or math.isinf(a):
            same = (math.isnan(a) and math.isnan(b)) or a == b
            if not same:
                return "%s[%d]: gradc %r, PyTorch %r" % (label, i, a, b)
            continue
        e = abs(a - b) / scale
        if e > worst:
            worst, at = e, i
    if worst > rtol:
        return "%s[%d]: gradc %r, PyTorch %r (error %.3g > %.3g)" % (
            label, at, g[at], w[at], worst, rtol)
    return None


def tensor_json(t):
    return {"shape": list(t.shape), "data": t.double().reshape(-1).tolist()}


def check_graph(gradc, graph, inputs, seeds, rtol, check_grad_fns=True,
                check_printed=False):
    """Runs one graph both ways; returns a list of error messages. The roots
    are the outputs that require grad in PyTorch; seeds of other outputs
    are dropped; scalar roots without a seed get 1. `check_grad_fns`
    compares the grad_fn names of gradc's IR dump, `check_printed` also
    those `gradc run --format torch` prints for the outputs."""
    outs, _, _ = run_torch(graph, inputs, {}, [])
    roots = [o for o in graph["outputs"] if outs[o].requires_grad]
    use_seeds = {r: s for r, s in seeds.items() if r in roots}
    outs, grads, torch_fns = run_torch(graph, inputs, use_seeds, roots)
    with tempfile.TemporaryDirectory() as d:
        res = run_gradc(gradc, graph, inputs, use_seeds, roots, d)
        fns = gradc_grad_fns(gradc, graph, d) if check_grad_fns else {}
        printed = gradc_printed_grad_fns(gradc, graph, inputs, d) if check_printed else {}
    errors = []
    for name, t in outs.items():
        e = compare("output " + name, res["outputs"][name], t.detach(), rtol)
        if e:
            errors.append(e)
    for name, t in grads.items():
        if not roots:
            continue
        if name not in res["grads"]:
            errors.append("gradient of %s missing from gradc's output" % name)
            continue
        e = compare("grad " + name, res["grads"][name], t, rtol)
        if e:
            errors.append(e)
    if check_grad_fns:
        for name, fn in torch_fns.items():
            if fns.get(name) != fn:
                errors.append("grad_fn of %s: gradc %s, PyTorch %s" % (name, fns.get(name), fn))
    if check_printed:
        for name, t in outs.items():
            want = type(t.grad_fn).__name__ if t.grad_fn is not None else None
            if printed.get(name) != want:
                errors.append("printed grad_fn of output %s: gradc %s, PyTorch %s"
                              % (name, printed.get(name), want))
    return errors


def keep_case(folder, base, graph, inputs, seeds):
    """Writes a case's graph, inputs and seeds as FOLDER/BASE.*.json, ready
    for `gradc run BASE.graph.json --inputs BASE.inputs.json ...`."""
    os.makedirs(folder, exist_ok=True)
    for suffix, obj in (("graph", graph), ("inputs", inputs), ("seeds", seeds)):
        with open(os.path.join(folder, "%s.%s.json" % (base, suffix)), "w") as f:
            json.dump(obj, f)
