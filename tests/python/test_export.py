"""gradc.export against PyTorch: export, compile, run; the loss and every
parameter gradient equal loss.backward() (f32, 1e-4 relative)."""
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


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12)) if b.size else 0.0


class MLP(nn.Module):
    """784-style classifier, smaller: Linear/ReLU/Tanh stack + cross-entropy."""

    def __init__(self, sizes=(20, 64, 48, 7)):
        super().__init__()
        self.fc1 = nn.Linear(sizes[0], sizes[1])
        self.fc2 = nn.Linear(sizes[1], sizes[2])
        self.head = nn.Sequential(nn.Tanh(), nn.Linear(sizes[2], sizes[3]))

    def forward(self, x, target):
        h = F.relu(self.fc1(x))
        h = torch.sigmoid(self.fc2(h)) * 2 - 0.5
        return F.cross_entropy(self.head(h), target)


class Regressor(nn.Module):
    """Shape ops, softmax, leaky relu, a frozen parameter and MSE."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.LeakyReLU(0.1),
                                  nn.Linear(16, 8, bias=False))
        self.scale = nn.Parameter(torch.tensor([1.5]))
        self.frozen = nn.Linear(8, 3)
        self.frozen.requires_grad_(False)
        self.loss = nn.MSELoss()

    def forward(self, x, y):
        h = self.body(x)
        h = h.view(x.size(0), 2, 4).transpose(1, 2).reshape(-1, 8)
        h = torch.softmax(h, dim=-1) * self.scale + h[:, :1]
        return self.loss(self.frozen(h), y), h.sum()


class Block(nn.Module):
    """A pre-norm transformer block with causal self-attention, written as
    in GPT code: LayerNorm, a fused qkv Linear split in three, heads by
    view/transpose, a causal mask buffer with masked_fill(-inf), softmax,
    GELU (tanh form), residuals; the loss is a regression on the output."""

    def __init__(self, C=32, nh=4, T=8):
        super().__init__()
        self.nh = nh
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.mlp = nn.Sequential(nn.Linear(C, 4 * C), nn.GELU(approximate="tanh"),
                                 nn.Linear(4 * C, C))
        self.register_buffer("mask", torch.tril(torch.ones(T, T)).view(1, 1, T, T) == 0)

    def forward(self, x, y):
        return F.mse_loss(self.body(x), y)

    def body(self, x):
        B, T, C = x.size()
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q = q.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        k = k.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        v = v.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:, :, :T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        h = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.proj(h)
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    """Token and position embeddings (positions from torch.arange inside
    forward), two blocks, a final LayerNorm, an LM head and cross-entropy
    over the vocabulary."""

    def __init__(self, V=23, C=32, T=8):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.blocks = nn.ModuleList([Block(C, 4, T), Block(C, 4, T)])
        self.ln_f, self.head = nn.LayerNorm(C), nn.Linear(C, V, bias=False)

    def forward(self, idx, targets):
        B, T = idx.size()
        pos = torch.arange(0, T, dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        for b in self.blocks:
            x = b.body(x)
        logits = self.head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def compare(test, model, args, dtype=np.float32, rtol=RTOL):
    """Exports model(*args), runs it in gradc, checks against PyTorch."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.json")
        graph = gradc.export(model, args, path)
        g = gradc.compile(path)
    names = [i["name"] for i in graph["inputs"]]
    for n, p in model.named_parameters():
        if p.requires_grad:
            test.assertIn(n, names)
    feed = {i["name"]: a.detach().numpy() for i, a in zip(graph["inputs"], args)}
    r = g.run(inputs=feed, backward=[graph["outputs"][0]])
    model.zero_grad()
    out = model(*args)
    outs = out if isinstance(out, tuple) else (out,)
    outs[0].backward()
    for name, t in zip(graph["outputs"], outs):
        test.assertLessEqual(rel_err(r.outputs[name], t.detach().numpy()), rtol, name)
    for n, p in model.named_parameters():
        if p.requires_grad:
            test.assertLessEqual(rel_err(r.grads[n], p.grad.numpy()), rtol, n)
        else:
            test.assertNotIn(n, r.grads)
    return graph, r


class Export(unittest.TestCase):
    def test_mlp(self):
        torch.manual_seed(1)
        m = MLP()
        x, t = torch.randn(16, 20), torch.randint(0, 7, (16,))
        graph, r = compare(self, m, (x, t))
        self.assertEqual([i["name"] for i in graph["inputs"]][:2], ["x", "target"])
        self.assertEqual(graph["outputs"], ["output"])
        self.assertIn("head.1.weight", r.grads)
        inp = {i["name"]: i for i in graph["inputs"]}
        self.assertTrue(inp["fc1.weight"]["requires_grad"])
        self.assertNotIn("requires_grad", inp["x"])
        np.testing.assert_array_equal(np.array(inp["fc2.bias"]["init"], np.float32),
                                      m.fc2.bias.detach().numpy())

    def test_mlp_f64(self):
        torch.manual_seed(2)
        m = MLP((5, 9, 6, 3)).double()
        x, t = torch.randn(4, 5, dtype=torch.float64), torch.tensor([0, 2, 1, 2])
        compare(self, m, (x, t), rtol=1e-10)

    def test_shape_ops_tuple_output(self):
        torch.manual_seed(3)
        m = Regressor()
        x, y = torch.randn(5, 3, 4), torch.randn(5, 3)
        graph, _ = compare(self, m, (x, y))
        self.assertEqual(graph["outputs"], ["output0", "output1"])
        inp = {i["name"]: i for i in graph["inputs"]}
        self.assertNotIn("requires_grad", inp["frozen.weight"])

    def test_transformer_block(self):
        torch.manual_seed(4)
        m = Block()
        with torch.no_grad():  # non-trivial LayerNorm affine parameters
            for ln in (m.ln1, m.ln2):
                ln.weight.uniform_(0.5, 1.5)
                ln.bias.uniform_(-0.2, 0.2)
        x, y = torch.randn(2, 8, 32), torch.randn(2, 8, 32)
        graph, _ = compare(self, m, (x, y))
        inp = {i["name"]: i for i in graph["inputs"]}
        self.assertEqual(inp["mask"]["dtype"], "bool")
        self.assertNotIn("requires_grad", inp["mask"])

    def test_tiny_gpt(self):
        torch.manual_seed(7)
        m = TinyGPT()
        idx, tgt = torch.randint(0, 23, (3, 8)), torch.randint(0, 23, (3, 8))
        graph, _ = compare(self, m, (idx, tgt))
        self.assertEqual([i["name"] for i in graph["inputs"]][:2], ["idx", "targets"])

    def test_function(self):
        def step(w, x, b):
            return ((x @ w + b).tanh() ** 2).mean(dim=0).sum()
        w = torch.randn(6, 3, requires_grad=True)
        x, b = torch.randn(4, 6), torch.randn(3)
        graph = gradc.export(step, (w, x, b))
        self.assertEqual([i["name"] for i in graph["inputs"]], ["w", "x", "b"])
        self.assertTrue(graph["inputs"][0].get("requires_grad"))
        g = gradc.compile(graph)
        r = g.run(inputs={"w": w.detach().numpy(), "x": x.numpy(), "b": b.numpy()})
        loss = step(w, x, b)
        loss.backward()
        self.assertLessEqual(rel_err(r.outputs["output"], loss.detach().numpy()), RTOL)
        self.assertLessEqual(rel_err(r.grads["w"], w.grad.numpy()), RTOL)

    def test_unsupported_names_op_and_line(self):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.GRU(8, 8)
                self.fc = nn.Linear(8, 2)

            def forward(self, x):
                return self.fc(self.rnn(x)[0])  # the line to report

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "net.json")
            with self.assertRaises(gradc.Error) as e:
                gradc.export(Net(), (torch.randn(3, 1, 8),), path)
            self.assertEqual(os.listdir(d), [])  # nothing half-written
        msg = str(e.exception)
        self.assertIn("'rnn' (torch.nn.GRU)", msg)
        self.assertIn("no 'gru' op", msg)
        self.assertIn("test_export.py:", msg)
        self.assertIn("the line to report", msg)

        def f(x):
            return torch.cumprod(x, 0)  # no gradc op
        with self.assertRaises(gradc.Error) as e:
            gradc.export(f, (torch.randn(3),))
        self.assertIn("'cumprod' (torch.cumprod): gradc has no mapping", str(e.exception))
        self.assertIn("in f: return torch.cumprod(x, 0)", str(e.exception))

    def test_constants_from_sizes(self):
        def f(x):
            T = x.size(0)
            mask = torch.ones(T, T).tril() == 0
            return F.softmax(x.masked_fill(mask, float("-inf")), dim=-1).pow(2).sum()
        x = torch.randn(5, 5, requires_grad=True)
        graph = gradc.export(f, (x,))
        # Only the constant a node uses becomes an input.
        self.assertEqual([(i["name"], i["dtype"]) for i in graph["inputs"]],
                         [("x", "f32"), ("eq", "bool")])
        r = gradc.compile(graph).run(inputs={"x": x.detach().numpy()})
        loss = f(x)
        loss.backward()
        self.assertLessEqual(rel_err(r.outputs["output"], loss.detach().numpy()), RTOL)
        self.assertLessEqual(rel_err(r.grads["x"], x.grad.numpy()), RTOL)

        def noisy(x):
            return x + torch.randn(5, 5)
        with self.assertRaises(gradc.Error) as e:
            gradc.export(noisy, (x,))
        self.assertIn("'randn' (torch.randn): a random tensor", str(e.exception))
        self.assertIn("in noisy", str(e.exception))

    def test_dropout_training_is_an_op(self):
        """Dropout in training mode is gradc's dropout op (its own mask);
        in eval mode it is left out."""
        m = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
        graph = gradc.export(m, (torch.randn(2, 3),))
        self.assertIn("dropout", {n["op"] for n in graph["nodes"]})
        m.eval()
        graph = gradc.export(m, (torch.randn(2, 3),))
        self.assertEqual(graph["outputs"], ["output"])
        self.assertNotIn("dropout", {n["op"] for n in graph["nodes"]})


if __name__ == "__main__":
    unittest.main()
