"""`gradc import` of convolutional and transformer models written by
torch.onnx.export, and of the ONNX operators added for them: the loss (or
output) and every parameter gradient equal PyTorch's (f32, 1e-4)."""
import os
import subprocess
import sys
import tempfile
import unittest
import warnings

import numpy as np

try:
    import onnx
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("PyTorch or onnx is not installed: skipped")
    sys.exit(77)

import gradc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_export_layers import CNN, Block, perturb_norms, rel_err  # noqa: E402

GRADC = os.environ.get("GRADC_BIN", "build/bin/gradc")
RTOL = 1e-4


def onnx_export(model, args, path, names, out, opset):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, args, path, input_names=names, output_names=[out],
                          opset_version=opset)


def match_grads(test, graph, grads, params):
    """Checks the gradient of each trainable initializer against the
    PyTorch parameter with the same values (torch.onnx stores some weights
    under new names, shapes or transposed: GroupNorm's affine as [C, 1, 1],
    a Linear's weight for MatMul); returns
    the parameter names matched. Gradients are compared relative to the
    largest one of the model (a gradient that is zero up to rounding, as a
    key bias in attention gets, has no scale of its own)."""
    floor = 1e-3 * max(float(p.grad.abs().max()) for p in params.values())
    matched = set()
    for inp in graph["inputs"]:
        if not inp.get("requires_grad"):
            continue
        init = np.array(inp["init"], np.float32)
        for n, p in params.items():
            w, g = p.detach().numpy(), p.grad.numpy()
            if n in matched or w.size != init.size:
                continue
            if np.array_equal(w.reshape(init.shape), init):
                want = g.reshape(init.shape)
            elif w.ndim == 2 and np.array_equal(w.T, init):  # MatMul's weight
                want = g.T
            else:
                continue
            test.assertLessEqual(rel_err(grads[inp["name"]], want, floor), RTOL, n)
            matched.add(n)
            break
    return matched


class Wrap(nn.Module):
    """fn(x * scale): the gradient of the parameter `scale` is x times the
    gradient that flows back through fn."""

    def __init__(self, fn, shape):
        super().__init__()
        self.fn = fn
        self.scale = nn.Parameter(torch.rand(shape) + 0.5)

    def forward(self, x):
        return self.fn(x * self.scale)


# (label, module, input, opsets): operators torch.onnx writes for them.
CASES = [
    ("Conv 1-D", nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9), (13, 17)),
    ("Conv grouped dilated", nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2), (2, 4, 7, 7),
     (13,)),
    ("MaxPool ceil", nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (2, 3, 7, 7), (13,)),
    ("AveragePool", nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), (2, 3, 7, 7), (13,)),
    ("AveragePool pad", nn.AvgPool2d(2, padding=1), (2, 3, 6, 6), (13,)),
    ("GlobalAveragePool", nn.AdaptiveAvgPool2d(1), (2, 3, 5, 4), (13,)),
    ("InstanceNormalization", nn.GroupNorm(3, 6), (2, 6, 3, 4), (13, 17)),
    ("LayerNormalization", nn.LayerNorm([3, 4]), (2, 5, 3, 4), (13, 17)),
    ("Erf", nn.GELU(), (3, 7), (13,)),
    ("GELU tanh", nn.GELU("tanh"), (3, 7), (13,)),
    ("Elu", nn.ELU(0.5), (3, 7), (13,)),
    ("Softplus", nn.Softplus(), (3, 7), (13,)),
    ("LeakyRelu", nn.LeakyReLU(0.2), (3, 7), (13,)),
    ("Clip", nn.Hardtanh(-0.5, 0.7), (3, 7), (13,)),
    ("Reciprocal", lambda x: torch.reciprocal(x + 3), (3, 7), (13,)),
    ("CumSum", lambda x: torch.cumsum(x, 1), (3, 7), (13,)),
    ("ReduceLogSumExp", lambda x: torch.logsumexp(x, 1), (3, 7), (13,)),
    ("Trilu", lambda x: torch.triu(x, 1) + torch.tril(x), (2, 4, 5), (14,)),
    ("Gather constant", lambda x: x[:, 2] * x[2, 1] + x[:, -1], (3, 7), (13,)),
    ("Pad before Conv", nn.Sequential(nn.ZeroPad2d((1, 1, 2, 2)), nn.Conv2d(2, 3, 3)),
     (2, 2, 5, 5), (13,)),
]


class OnnxLayers(unittest.TestCase):
    def test_cnn_cli(self):
        """The CNN with its cross-entropy loss, through `gradc import`."""
        torch.manual_seed(21)
        m = CNN()
        x, t = torch.randn(4, 1, 12, 12), torch.randint(0, 10, (4,))
        m.zero_grad()
        loss = m(x, t)
        loss.backward()
        params = dict(m.named_parameters())
        with tempfile.TemporaryDirectory() as d:
            for opset in (13, 17):
                model = os.path.join(d, "cnn.onnx")
                onnx_export(m, (x, t), model, ["x", "target"], "loss", opset)
                path = os.path.join(d, "cnn.json")
                p = subprocess.run([GRADC, "import", model, "-o", path, "--trainable", "all"],
                                   capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)
                graph = gradc.import_onnx(model, trainable=["all"])
                ops = {n["op"] for n in graph["nodes"]}
                self.assertLessEqual({"conv2d", "max_pool2d", "avg_pool2d", "cross_entropy"}, ops)
                r = gradc.compile(path).run(inputs={"x": x.numpy(), "target": t.numpy()})
                self.assertLessEqual(rel_err(r.outputs["loss"], loss.item()), RTOL)
                self.assertEqual(match_grads(self, graph, r.grads, params), set(params),
                                 "opset %d" % opset)

    def test_transformer_block(self):
        """LayerNorm, causal attention with a triu mask made in forward,
        exact GELU (Erf); opsets 14 (Trilu's first) and 17
        (LayerNormalization)."""
        torch.manual_seed(22)
        m = Block()
        perturb_norms(m)
        x = torch.randn(2, 8, 32)
        m.zero_grad()
        out = m(x)
        seed = torch.randn_like(out)
        out.backward(seed)
        params = dict(m.named_parameters())
        with tempfile.TemporaryDirectory() as d:
            for opset in (14, 17):
                model = os.path.join(d, "block.onnx")
                onnx_export(m, (x,), model, ["x"], "out", opset)
                graph = gradc.import_onnx(model, trainable=["all"])
                ops = {n["op"] for n in graph["nodes"]}
                self.assertIn("erf", ops)
                if opset == 17:
                    self.assertIn("layer_norm", ops)
                r = gradc.compile(graph).run(inputs={"x": x.numpy()},
                                             seeds={"out": seed.numpy()}, backward=["out"])
                self.assertLessEqual(rel_err(r.outputs["out"], out.detach().numpy()), RTOL)
                matched = match_grads(self, graph, r.grads, params)
                self.assertEqual(matched, set(params), "opset %d" % opset)

    def test_operators(self):
        """Each operator's output and the gradient through it (of a scale
        parameter in front) equal PyTorch's."""
        torch.manual_seed(23)
        with tempfile.TemporaryDirectory() as d:
            for label, fn, shape, opsets in CASES:
                m = Wrap(fn, shape)
                x = torch.randn(*shape)
                m.zero_grad()
                out = m(x)
                seed = torch.randn_like(out)
                out.backward(seed)
                for opset in opsets:
                    with self.subTest(label, opset=opset):
                        model = os.path.join(d, "m.onnx")
                        onnx_export(m, (x,), model, ["x"], "y", opset)
                        graph = gradc.import_onnx(model, trainable=["all"])
                        r = gradc.compile(graph).run(inputs={"x": x.numpy()},
                                                     seeds={"y": seed.numpy()}, backward=["y"])
                        self.assertLessEqual(rel_err(r.outputs["y"], out.detach().numpy()), RTOL)
                        params = dict(m.named_parameters())
                        self.assertEqual(match_grads(self, graph, r.grads, params), set(params))

    def test_bool_scalar_constant(self):
        """A bool scalar initializer (no JSON literal) becomes an input."""
        from onnx import TensorProto, helper
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
        inits = [helper.make_tensor("z", TensorProto.FLOAT, [], [0.0]),
                 helper.make_tensor("b", TensorProto.BOOL, [], [False])]
        g = helper.make_graph([helper.make_node("Where", ["b", "x", "z"], ["y"])], "w", [x], [y],
                              initializer=inits)
        with tempfile.TemporaryDirectory() as d:
            model = os.path.join(d, "w.onnx")
            onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), model)
            graph = gradc.import_onnx(model)
        self.assertEqual(graph["inputs"][1], {"name": "b", "dtype": "bool", "shape": [], "init": 0})
        r = gradc.compile(graph).run(inputs={"x": np.ones((2, 3), np.float32)}, backward=[])
        np.testing.assert_array_equal(r.outputs["y"], np.zeros((2, 3), np.float32))

    def test_unsupported_padding(self):
        """A Pad that no Conv or AveragePool takes over is refused, named."""
        class Net(nn.Module):
            def forward(self, x):
                return torch.relu(F.pad(x, (1, 1, 2, 2)))

        with tempfile.TemporaryDirectory() as d:
            model = os.path.join(d, "pad.onnx")
            onnx_export(Net(), (torch.randn(1, 1, 4, 4),), model, ["x"], "y", 13)
            with self.assertRaises(gradc.Error) as e:
                gradc.import_onnx(model)
        self.assertIn("(Relu): a Pad by a nonzero amount is only supported right before Conv",
                      str(e.exception))

if __name__ == "__main__":
    unittest.main()
