"""gradc.export of convolutional and transformer models and of each
exported op against PyTorch: export, compile, run; outputs and every
gradient equal PyTorch's (f32, 1e-4 relative)."""
import math
import os
import sys
import tempfile
import unittest

import numpy as np

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("PyTorch is not installed: skipped")
    sys.exit(77)

import gradc

RTOL = 1e-4


def rel_err(a, b, floor=1e-12):
    """Largest difference relative to the reference's largest magnitude, or
    to `floor` when that is larger (a reference that is zero up to
    rounding, as a key bias in attention gets, has no scale of its own)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), floor)) if b.size else 0.0


def ops_of(graph):
    return {n["op"] for n in graph["nodes"]}


class CNN(nn.Module):
    """conv-relu-pool twice (max then average pooling), flatten, two linear
    layers, cross-entropy."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 3, stride=1)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x, target):
        h = self.pool1(F.relu(self.conv1(x)))
        h = F.avg_pool2d(F.relu(self.conv2(h)), 2)
        h = torch.flatten(h, 1)
        return F.cross_entropy(self.fc2(F.relu(self.fc1(h))), target)


class ConvMix(nn.Module):
    """The other convolution and normalization layers: Conv1d, grouped and
    strided Conv2d with "same" padding, GroupNorm, SiLU, AdaptiveAvgPool2d,
    LayerNorm, ELU, MSE."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(3, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 8, 3, padding="same", groups=2)
        self.c3 = nn.Conv2d(8, 8, 3, stride=2, padding=1, bias=False)
        self.gn = nn.GroupNorm(2, 8)
        self.pool = nn.AdaptiveAvgPool2d((2, 3))
        self.ln = nn.LayerNorm(6)
        self.act = nn.Sequential(nn.SiLU(), nn.ELU(0.7))

    def forward(self, x, y):
        B = x.size(0)
        h = self.c1(x.view(B, 3, 64)).view(B, 4, 8, 8)
        h = self.gn(self.c3(F.leaky_relu(self.c2(h), 0.1)))
        h = self.ln(self.pool(self.act(h)).flatten(2))
        return F.mse_loss(h, y)


class Block(nn.Module):
    """A pre-norm transformer block: LayerNorm, causal multi-head
    self-attention (a triu mask made in forward, masked_fill with -inf),
    an exact-GELU MLP, residuals."""

    def __init__(self, C=32, nh=4):
        super().__init__()
        self.nh = nh
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.q, self.k, self.v = nn.Linear(C, C), nn.Linear(C, C), nn.Linear(C, C)
        self.proj = nn.Linear(C, C)
        self.fc, self.out = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)
        self.gelu = nn.GELU()

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.nh
        h = self.ln1(x)
        q = self.q(h).view(B, T, self.nh, hs).transpose(1, 2)
        k = self.k(h).view(B, T, self.nh, hs).transpose(1, 2)
        v = self.v(h).view(B, T, self.nh, hs).transpose(1, 2)
        att = q @ k.transpose(-2, -1) / math.sqrt(hs)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        att = F.softmax(att.masked_fill(mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.proj(y)
        return x + self.out(self.gelu(self.fc(self.ln2(x))))


class BlockLoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()

    def forward(self, x, y):
        return F.mse_loss(self.block(x), y)


def perturb_norms(m):
    """Non-trivial affine parameters for every norm layer."""
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (nn.LayerNorm, nn.GroupNorm)):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)


def compare(test, model, args, rtol=RTOL):
    """Exports model(*args) to a file, compiles it, checks the loss and
    every parameter gradient against loss.backward()."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.json")
        graph = gradc.export(model, args, path)
        g = gradc.compile(path)
    feed = {i["name"]: a.detach().numpy() for i, a in zip(graph["inputs"], args)}
    r = g.run(inputs=feed, backward=["output"])
    model.zero_grad()
    loss = model(*args)
    loss.backward()
    test.assertLessEqual(rel_err(r.outputs["output"], loss.detach().numpy()), rtol)
    # Gradients relative to the model's largest one, at least.
    floor = 1e-3 * max(float(p.grad.abs().max()) for p in model.parameters())
    n = 0
    for name, p in model.named_parameters():
        test.assertLessEqual(rel_err(r.grads[name], p.grad.numpy(), floor), rtol, name)
        n += 1
    test.assertEqual(len(r.grads), n)
    return graph


class ExportLayers(unittest.TestCase):
    def test_cnn(self):
        torch.manual_seed(11)
        m = CNN()
        x, t = torch.randn(4, 1, 12, 12), torch.randint(0, 10, (4,))
        graph = compare(self, m, (x, t))
        self.assertLessEqual({"conv2d", "max_pool2d", "avg_pool2d", "cross_entropy"},
                             ops_of(graph))
        inp = {i["name"]: i for i in graph["inputs"]}
        self.assertEqual(inp["conv1.weight"]["shape"], [6, 1, 5, 5])
        self.assertTrue(inp["conv2.bias"]["requires_grad"])

    def test_conv_mix(self):
        torch.manual_seed(12)
        m = ConvMix()
        perturb_norms(m)
        x, y = torch.randn(2, 192), torch.randn(2, 8, 6)
        graph = compare(self, m, (x, y))
        self.assertLessEqual({"conv1d", "conv2d", "group_norm", "silu", "elu", "leaky_relu",
                              "adaptive_avg_pool2d", "layer_norm"}, ops_of(graph))

    def test_transformer_block(self):
        torch.manual_seed(13)
        m = BlockLoss()
        perturb_norms(m)
        x, y = torch.randn(2, 8, 32), torch.randn(2, 8, 32)
        graph = compare(self, m, (x, y))
        ops = ops_of(graph)
        self.assertLessEqual({"layer_norm", "masked_fill", "gelu", "softmax"}, ops)
        # The mask is computed from sizes only: folded to a constant input.
        masks = [i for i in graph["inputs"] if i["dtype"] == "bool"]
        self.assertEqual(len(masks), 1)
        self.assertEqual(masks[0]["init"][0][:3], [0, 1, 1])


def _x(*shape, lo=-2.0, hi=2.0):
    return (torch.rand(*shape) * (hi - lo) + lo).requires_grad_(True)


# (label, function, example inputs): each row of the export tables that
# maps to a gradc op of its own, as a function, a method or a module (a
# module inside nn.Sequential: fx traces into the module it is given).
OPS = [
    ("F.gelu", lambda x: F.gelu(x), (_x(3, 5),)),
    ("F.gelu tanh", lambda x: F.gelu(x, approximate="tanh"), (_x(3, 5),)),
    ("F.silu", lambda x: F.silu(x), (_x(3, 5),)),
    ("F.leaky_relu", lambda x: F.leaky_relu(x, 0.2), (_x(3, 5),)),
    ("F.elu", lambda x: F.elu(x, alpha=0.5), (_x(3, 5),)),
    ("F.softplus", lambda x: F.softplus(x, beta=2, threshold=3), (_x(3, 5),)),
    ("F.hardtanh", lambda x: F.hardtanh(x, -0.5, 1.5), (_x(3, 5),)),
    ("F.relu6", lambda x: F.relu6(x * 4), (_x(3, 5),)),
    ("nn.Softplus", nn.Sequential(nn.Softplus(0.5, 1.0)), (_x(3, 5),)),
    ("nn.Hardtanh", nn.Sequential(nn.Hardtanh(-1.5, 0.5)), (_x(3, 5),)),
    ("nn.ReLU6", nn.Sequential(nn.ReLU6()), (_x(3, 5, lo=-3, hi=9),)),
    ("nn.GELU tanh", nn.Sequential(nn.GELU("tanh"), nn.LeakyReLU(0.3)), (_x(3, 5),)),
    ("erf", lambda x: torch.erf(x) + x.erf(), (_x(3, 5),)),
    ("log1p", lambda x: torch.log1p(x) + x.log1p(), (_x(3, 5, lo=-0.5),)),
    ("expm1", lambda x: torch.expm1(x) + x.expm1(), (_x(3, 5),)),
    ("rsqrt", lambda x: torch.rsqrt(x) + x.rsqrt(), (_x(3, 5, lo=0.5),)),
    ("reciprocal", lambda x: torch.reciprocal(x) + x.reciprocal(), (_x(3, 5, lo=0.5),)),
    ("square", lambda x: torch.square(x) + x.square(), (_x(3, 5),)),
    ("clamp", lambda x: torch.clamp(x, -1, 0.5) + x.clamp(min=0) + x.clip(max=0.3)
     + x.clamp_min(-0.2) + x.clamp_max(0.1), (_x(3, 5),)),
    ("logsumexp", lambda x: torch.logsumexp(x, 1) + x.logsumexp(dim=1), (_x(3, 5),)),
    ("var std", lambda x: torch.var(x, 1) + x.std(dim=1, unbiased=False)
     + torch.var(x, 1, correction=0) + x.var(), (_x(3, 5),)),
    ("std all", lambda x: torch.std(x, False) * x.std(), (_x(3, 5),)),
    ("norm", lambda x: torch.norm(x) + x.norm(dim=1).sum() + x.norm(p=2, dim=0, keepdim=True).sum(),
     (_x(3, 5),)),
    ("cumsum", lambda x: torch.cumsum(x, 1) + x.cumsum(dim=0), (_x(3, 5),)),
    ("triu tril", lambda x: torch.triu(x) + x.tril(-1) + x.triu(diagonal=2), (_x(2, 4, 5),)),
    ("masked_fill", lambda x, m: x.masked_fill(m, 0.5) + torch.masked_fill(x, m, -1.0),
     (_x(3, 5), torch.rand(3, 5) > 0.5)),
    ("conv1d stride", lambda x, w: F.conv1d(x, w, None, 2, 1), (_x(2, 3, 9), _x(4, 3, 3))),
    ("conv2d dilation", lambda x, w, b: F.conv2d(x, w, b, padding=(1, 2), dilation=2),
     (_x(2, 3, 7, 8), _x(4, 3, 3, 3), _x(4))),
    ("max_pool2d", lambda x: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
     (_x(2, 3, 7, 7),)),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, (2, 3), padding=1, count_include_pad=False),
     (_x(2, 3, 6, 7),)),
    ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (3, None)),
     (_x(2, 3, 7, 5),)),
    ("global pool", nn.AdaptiveAvgPool2d(1), (_x(2, 3, 4, 5),)),
    ("layer_norm", lambda x, w, b: F.layer_norm(x, (4, 5), w, b, 1e-3)
     + F.layer_norm(x, [5]) + F.layer_norm(x, [5], None, b[0]), (_x(2, 4, 5), _x(4, 5), _x(4, 5))),
    ("group_norm", lambda x, w, b: F.group_norm(x, 3, w, b) + F.group_norm(x, 1),
     (_x(2, 6, 3, 2), _x(6), _x(6))),
]


class ExportOps(unittest.TestCase):
    def test_each_op(self):
        """Each row's values and input gradients (a random seed on the
        output) equal PyTorch's."""
        torch.manual_seed(14)
        for label, fn, args in OPS:
            with self.subTest(label):
                graph = gradc.export(fn, args)
                g = gradc.compile(graph)
                feed = {i["name"]: a.detach().numpy() for i, a in zip(graph["inputs"], args)}
                for a in args:
                    a.grad = None
                out = fn(*args)
                seed = torch.randn_like(out)
                out.backward(seed)
                r = g.run(inputs=feed, seeds={"output": seed.numpy()}, backward=["output"])
                self.assertLessEqual(rel_err(r.outputs["output"], out.detach().numpy()), RTOL)
                for i, a in zip(graph["inputs"], args):
                    if a.requires_grad:
                        self.assertLessEqual(rel_err(r.grads[i["name"]], a.grad.numpy()), RTOL,
                                             i["name"])

    def test_argmax_argmin(self):
        def f(x):
            return torch.argmax(x, 1), x.argmin(), x.argmax(dim=0, keepdim=True)
        x = torch.randn(4, 6)
        graph = gradc.export(f, (x,))
        r = gradc.compile(graph).run(inputs={"x": x.numpy()}, backward=[])
        for name, want in zip(graph["outputs"], f(x)):
            self.assertEqual(r.outputs[name].dtype, np.int64)
            np.testing.assert_array_equal(r.outputs[name], want.numpy())

    def test_refusals_name_the_argument(self):
        cases = [
            (lambda x: F.max_pool2d(x, 2, return_indices=True)[0], "return_indices"),
            (lambda x: F.avg_pool2d(x, 2, divisor_override=3), "divisor_override"),
            (lambda x: x.clamp(min=x[0]), "'min' as a tensor"),
            (lambda x: torch.cumsum(x, 1, dtype=torch.float64), "dtype"),
            (nn.Sequential(nn.Conv2d(3, 2, 3, padding=1, padding_mode="reflect")), "padding_mode 'reflect'"),
        ]
        x = torch.randn(1, 3, 4, 4)
        for fn, words in cases:
            with self.subTest(words):
                with self.assertRaises(gradc.Error) as e:
                    gradc.export(fn, (x,))
                self.assertIn(words, str(e.exception))


if __name__ == "__main__":
    unittest.main()
