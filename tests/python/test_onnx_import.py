"""`gradc import` of models written by torch.onnx.export: the loss and every
parameter gradient of the imported graph equal PyTorch's (f32, 1e-4)."""
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

    def test_errors_leave_no_file(self):
        with tempfile.TemporaryDirectory() as d:
            model = os.path.join(d, "cnn.onnx")
            net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2))
            onnx_export(net, (torch.randn(1, 1, 4, 4),), model, ["x"], 13)
            out = os.path.join(d, "cnn.json")
            p = gradc_import(model, "-o", out)
            self.assertEqual(p.returncode, 1)
            self.assertIn("(Conv): gradc has no mapping for the ONNX operator Conv", p.stderr)
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
