"""`gradc import` of models written by torch.onnx.export: the loss and every
parameter gradient of the imported graph equal PyTorch's (f32, 1e-4)."""
import math
import os
import subprocess
import sys
import tempfile
import unittest
import warnings

import numpy as np

try:
    import onnx  # noqa: F401
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("PyTorch or onnx is not installed: skipped")
    sys.exit(77)

import gradc

GRADC = os.environ.get("GRADC_BIN", "build/bin/gradc")
RTOL = 1e-4


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 32)
        self.fc2 = nn.Linear(32, 24)
        self.out = nn.Linear(24, 5)

    def forward(self, x, target):
        h = torch.tanh(self.fc1(x))
        h = F.relu(self.fc2(h)) * 0.5 + 0.1
        h = F.leaky_relu(h.reshape(8, 24), 0.2)
        return F.cross_entropy(self.out(h), target)


class Block(nn.Module):
    """A pre-norm transformer block (no loss: torch.onnx cannot export
    mse_loss); gradients are compared through a seed on its output."""

    def __init__(self, C=32, nh=4, T=8):
        super().__init__()
        self.nh = nh
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.mlp = nn.Sequential(nn.Linear(C, 4 * C), nn.GELU(approximate="tanh"),
                                 nn.Linear(4 * C, C))
        self.register_buffer("mask", torch.tril(torch.ones(T, T)).view(1, 1, T, T) == 0)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q = q.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        k = k.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        v = v.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.nh))
        att = F.softmax(att.masked_fill(self.mask[:, :, :T, :T], float("-inf")), dim=-1)
        h = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.proj(h)
        return x + self.mlp(self.ln2(x))


def match_grads(test, graph, grads, params):
    """Checks each gradient of a trainable initializer against the PyTorch
    parameter with the same value (torch.onnx stores some weights
    transposed under new names); returns the names matched."""
    matched = set()
    for inp in graph["inputs"]:
        if not inp.get("requires_grad"):
            continue
        init = np.array(inp["init"], np.float32)
        for n, prm in params.items():
            w = prm.detach().numpy()
            if w.shape == init.shape and np.array_equal(w, init):
                want = prm.grad.numpy()
            elif w.T.shape == init.shape and np.array_equal(w.T, init):
                want = prm.grad.numpy().T
            else:
                continue
            test.assertLessEqual(rel_err(grads[inp["name"]], want), RTOL, n)
            matched.add(n)
            break
    return matched


class TinyGPT(nn.Module):
    """Token embeddings (an ONNX Gather), constant positions, two blocks,
    a final LayerNorm and an LM head; logits out."""

    def __init__(self, V=23, C=32, T=8):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.blocks = nn.Sequential(Block(C, 4, T), Block(C, 4, T))
        self.ln_f, self.head = nn.LayerNorm(C), nn.Linear(C, V, bias=False)

    def forward(self, idx):
        pos = torch.arange(0, idx.shape[1], dtype=torch.long)
        return self.head(self.ln_f(self.blocks(self.wte(idx) + self.wpe(pos))))


def onnx_export(model, args, path, names, opset):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, args, path, input_names=names, output_names=["loss"],
                          opset_version=opset)


def gradc_import(*args):
    return subprocess.run([GRADC, "import", *args], capture_output=True, text=True)


class OnnxImport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(5)
        cls.model = MLP()
        cls.x, cls.t = torch.randn(8, 12), torch.randint(0, 5, (8,))
        cls.model.zero_grad()
        loss = cls.model(cls.x, cls.t)
        loss.backward()
        cls.loss = loss.item()
        cls.grads = {n: p.grad.numpy().copy() for n, p in cls.model.named_parameters()}

    def check(self, g, trainable):
        r = g.run(inputs={"x": self.x.numpy(), "target": self.t.numpy()})
        self.assertLessEqual(rel_err(r.outputs["loss"], self.loss), RTOL)
        for n in trainable:
            self.assertLessEqual(rel_err(r.grads[n], self.grads[n]), RTOL, n)
        self.assertEqual(set(r.grads), set(trainable))

    def test_cli_opsets(self):
        with tempfile.TemporaryDirectory() as d:
            for opset in (13, 17):
                model = os.path.join(d, "mlp%d.onnx" % opset)
                onnx_export(self.model, (self.x, self.t), model, ["x", "target"], opset)
                for ext in ("json", "grad"):
                    out = os.path.join(d, "mlp%d.%s" % (opset, ext))
                    p = gradc_import(model, "-o", out, "--trainable", "all")
                    self.assertEqual(p.returncode, 0, p.stderr)
                    self.check(gradc.compile(out), list(self.grads))

    def test_trainable_subset_and_api(self):
        with tempfile.TemporaryDirectory() as d:
            model = os.path.join(d, "mlp.onnx")
            onnx_export(self.model, (self.x, self.t), model, ["x", "target"], 15)
            out = os.path.join(d, "mlp.json")
            p = gradc_import(model, "-o", out, "--trainable", "fc1.weight", "out.bias")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.check(gradc.compile(out), ["fc1.weight", "out.bias"])
            graph = gradc.import_onnx(model, trainable=["fc2.weight"])
            self.check(gradc.compile(graph), ["fc2.weight"])

    def test_transformer_block(self):
        torch.manual_seed(6)
        m = Block()
        with torch.no_grad():
            for ln in (m.ln1, m.ln2):
                ln.weight.uniform_(0.5, 1.5)
                ln.bias.uniform_(-0.2, 0.2)
        x, seed = torch.randn(2, 8, 32), torch.randn(2, 8, 32)
        m.zero_grad()
        out = m(x)
        out.backward(seed)
        params = {n: p for n, p in m.named_parameters()}
        with tempfile.TemporaryDirectory() as d:
            for opset in (13, 17):
                model = os.path.join(d, "block.onnx")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    torch.onnx.export(m, (x,), model, input_names=["x"], output_names=["out"],
                                      opset_version=opset)
                path = os.path.join(d, "block.json")
                p = gradc_import(model, "-o", path, "--trainable", "all")
                self.assertEqual(p.returncode, 0, p.stderr)
                graph = gradc.import_onnx(model, trainable=["all"])
                g = gradc.compile(path)
                r = g.run(inputs={"x": x.numpy()}, seeds={"out": seed.numpy()}, backward=["out"])
                self.assertLessEqual(rel_err(r.outputs["out"], out.detach().numpy()), RTOL)
                matched = match_grads(self, graph, r.grads, params)
                self.assertEqual(matched, set(params), "opset %d" % opset)

    def test_tiny_gpt(self):
        torch.manual_seed(8)
        m = TinyGPT()
        with torch.no_grad():  # distinct LayerNorm parameters, matched by value
            for mod in m.modules():
                if isinstance(mod, nn.LayerNorm):
                    mod.weight.uniform_(0.5, 1.5)
                    mod.bias.uniform_(-0.2, 0.2)
        idx = torch.randint(0, 23, (3, 8))
        m.zero_grad()
        out = m(idx)
        seed = torch.randn_like(out)
        out.backward(seed)
        params = dict(m.named_parameters())
        with tempfile.TemporaryDirectory() as d:
            for opset in (13, 17):
                model = os.path.join(d, "gpt.onnx")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    torch.onnx.export(m, (idx,), model, input_names=["idx"],
                                      output_names=["logits"], opset_version=opset)
                path = os.path.join(d, "gpt.json")
                p = gradc_import(model, "-o", path, "--trainable", "all")
                self.assertEqual(p.returncode, 0, p.stderr)
                graph = gradc.import_onnx(model, trainable=["all"])
                r = gradc.compile(path).run(inputs={"idx": idx.numpy()},
                                            seeds={"logits": seed.numpy()})
                self.assertLessEqual(rel_err(r.outputs["logits"], out.detach().numpy()), RTOL)
                matched = match_grads(self, graph, r.grads, params)
                # torch.onnx folds wpe(arange) into a constant under another
                # name (equal to wpe.weight, so it may match by value).
                self.assertLessEqual(set(params) - {"wpe.weight"}, matched, "opset %d" % opset)

    def test_errors_leave_no_file(self):
        with tempfile.TemporaryDirectory() as d:
            model = os.path.join(d, "cnn.onnx")
            net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Upsample(scale_factor=2), nn.Flatten(),
                                nn.Linear(32, 2))
            onnx_export(net, (torch.randn(1, 1, 4, 4),), model, ["x"], 13)
            out = os.path.join(d, "cnn.json")
            p = gradc_import(model, "-o", out)
            self.assertEqual(p.returncode, 1)
            self.assertIn("(Resize): gradc has no mapping for the ONNX operator Resize", p.stderr)
            self.assertEqual(sorted(os.listdir(d)), ["cnn.onnx"])
            bad = os.path.join(d, "bad.onnx")
            with open(bad, "w") as f:
                f.write("not a model")
            p = gradc_import(bad, "-o", out)
            self.assertEqual(p.returncode, 1)
            self.assertIn("not a readable ONNX model", p.stderr)
            p = gradc_import(model, "-o", out, "--trainable", "nope")
            self.assertIn("--trainable names no initializer: nope", p.stderr)
            p = gradc_import(model, "-o", os.path.join(d, "x.gir"))
            self.assertNotEqual(p.returncode, 0)
            self.assertEqual(sorted(os.listdir(d)), ["bad.onnx", "cnn.onnx"])

    def test_symbolic_size(self):
        with tempfile.TemporaryDirectory() as d:
            model = os.path.join(d, "lin.onnx")
            net = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(net, (torch.randn(2, 4),), model, input_names=["x"],
                                  output_names=["y"], dynamic_axes={"x": {0: "B"}, "y": {0: "B"}})
            out = os.path.join(d, "lin.json")
            p = gradc_import(model, "-o", out)
            self.assertIn("--size B=N", p.stderr)
            p = gradc_import(model, "-o", out, "--size", "B=6")
            self.assertEqual(p.returncode, 0, p.stderr)
            x = torch.randn(6, 4)
            r = gradc.compile(out).run(inputs={"x": x.numpy()}, backward=[])
            np.testing.assert_allclose(r.outputs["y"], net(x).detach().numpy(), rtol=1e-5)


if __name__ == "__main__":
    unittest.main()
