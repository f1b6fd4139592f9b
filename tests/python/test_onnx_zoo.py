"""The user-style models of zoo_models.py (test_export_zoo.py) through torch.onnx.export
and gradc's ONNX import (opsets 13 to 17): the loss and every parameter
gradient of the imported graph equal loss.backward() in PyTorch (f32,
1e-4 relative). These graphs hold what torch.onnx writes for such code:
Casts to the type a value already has (`.float()`), Slices of tensors with
bounds computed from Shape (`chunk`), SoftmaxCrossEntropyLoss with an
ignore_index, training-mode BatchNormalization, a tied embedding read by a
Gather and a MatMul, nn.MultiheadAttention's masks merged by Or and
broadcast by Expand, a Cast of a bool to float, Einsum."""
import os
import sys
import tempfile
import unittest
import warnings

import numpy as np

try:
    import onnx
    import torch
except ImportError:
    print("PyTorch or onnx is not installed: skipped")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradc  # noqa: E402
from test_export_train import rel_err  # noqa: E402
from zoo_models import (GapNet, HandAttention, MnistNet, MobileSE, NanoGPT,  # noqa: E402
                        TinyResNet, TorchAttention, TutorialNet)

RTOL = 1e-4


def roundtrip(model, args, names, outputs, opset, training=False):
    """torch.onnx.export (parameters kept as named initializers), then
    gradc's import with every parameter trainable; also the node types."""
    mode = torch.onnx.TrainingMode.TRAINING if training else torch.onnx.TrainingMode.EVAL
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, args, path, input_names=names, output_names=outputs,
                              opset_version=opset, training=mode, do_constant_folding=False)
        proto = onnx.load(path)
        inits = {t.name for t in proto.graph.initializer}
        trainable = [n for n, _ in model.named_parameters() if n in inits]
        return gradc.import_onnx(path, trainable=trainable), {n.op_type for n in proto.graph.node}


def check_graph(test, graph, model, args, names, outputs=("loss",)):
    """The imported graph's loss and every parameter's gradient against
    PyTorch's loss.backward() on the same arguments."""
    r = gradc.compile(graph).run(inputs={n: a.numpy() for n, a in zip(names, args)},
                                 backward=["loss"])
    model.zero_grad()
    out = model(*args)
    loss = out[list(outputs).index("loss")] if isinstance(out, tuple) else out
    loss.backward()
    test.assertLessEqual(rel_err(r.outputs["loss"], loss.item()), RTOL)
    params = dict(model.named_parameters())
    # A gradient that is zero up to rounding (a key bias in attention) is
    # compared relative to the model's largest.
    floor = 1e-3 * max(float(p.grad.abs().max()) for p in params.values())
    for name, p in params.items():
        test.assertIn(name, r.grads)
        test.assertLessEqual(rel_err(r.grads[name], p.grad.numpy(), floor), RTOL, name)


def check(test, model, args, names, opset, outputs=("loss",), training=False):
    """Exports, imports and checks the model (check_graph); returns the ONNX
    node types the model was written with."""
    graph, ops = roundtrip(model, args, names, list(outputs), opset, training)
    check_graph(test, graph, model, args, names, outputs)
    return ops


class OnnxUserModels(unittest.TestCase):
    def test_tutorial_cnn(self):
        torch.manual_seed(40)
        m = TutorialNet()
        x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
        for opset in (13, 17):
            with self.subTest(opset=opset):
                ops = check(self, m, (x, y), ["x", "labels"], opset)
                self.assertIn("SoftmaxCrossEntropyLoss", ops)

    def test_global_average_pooling(self):
        torch.manual_seed(41)
        m = GapNet()
        x, y = torch.randn(3, 3, 9, 9), torch.randint(0, 5, (3,))
        ops = check(self, m, (x, y), ["x", "y"], 15)
        self.assertTrue({"GlobalAveragePool", "ReduceMean", "Concat"} <= ops)

    def test_resnet_training_mode(self):
        torch.manual_seed(42)
        m = TinyResNet().train()
        x, y = torch.randn(4, 3, 8, 8), torch.randint(0, 4, (4,))
        for opset in (15, 17):
            with self.subTest(opset=opset):
                ops = check(self, m, (x, y), ["x", "y"], opset, training=True)
                self.assertIn("BatchNormalization", ops)

    def test_hand_written_attention_cast_and_slices(self):
        torch.manual_seed(43)
        m = HandAttention()
        for opset in (13, 17):
            with self.subTest(opset=opset):
                ops = check(self, m, (torch.randn(2, 5, 16),), ["x"], opset)
                self.assertTrue({"Cast", "Slice", "Shape"} <= ops)

    def test_torch_multihead_attention(self):
        """torch.onnx writes the masks' merge as Or, the padding mask's
        broadcast as Expand."""
        torch.manual_seed(45)
        m = TorchAttention(True)
        x, pad = torch.randn(2, 5, 8), torch.zeros(2, 5, dtype=torch.bool)
        pad[1, -1] = True
        for opset in (14, 17):
            with self.subTest(opset=opset):
                ops = check(self, m, (x, pad), ["x", "pad"], opset)
                self.assertTrue({"Or", "Expand"} <= ops)

    def test_mobilenet_block_training_mode(self):
        torch.manual_seed(46)
        m = MobileSE().train()
        x, y = torch.randn(3, 4, 6, 6), torch.randint(0, 3, (3,))
        ops = check(self, m, (x, y), ["x", "y"], 15, training=True)
        self.assertTrue({"BatchNormalization", "Expand", "Clip"} <= ops)

    def test_mnist_with_accuracy(self):
        """The accuracy's (argmax == y).float() is a Cast from bool: where."""
        torch.manual_seed(47)
        m = MnistNet().eval()
        x, y = torch.randn(6, 1, 16, 16), torch.randint(0, 10, (6,))
        graph, _ = roundtrip(m, (x, y), ["x", "y"], ["loss", "acc"], 15)
        r = gradc.compile(graph).run(inputs={"x": x.numpy(), "y": y.numpy()}, backward=[])
        self.assertEqual(float(r.outputs["acc"]), float(m(x, y)[1]))
        check(self, m, (x, y), ["x", "y"], 15, outputs=("loss", "acc"))

    def test_einsum(self):
        class Contract(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = torch.nn.Parameter(torch.randn(4, 5))

            def forward(self, x, y):
                return ((torch.einsum("bij,bjk->bik", x, y) ** 2).sum()
                        + torch.einsum("bnd,de->bne", x, self.w).pow(2).mean())
        torch.manual_seed(48)
        ops = check(self, Contract(), (torch.randn(2, 3, 4), torch.randn(2, 4, 5)), ["x", "y"], 15)
        self.assertIn("Einsum", ops)

    def test_nanogpt(self):
        torch.manual_seed(44)
        m = NanoGPT().eval()
        # torch.onnx shares initializers of equal values (every LayerNorm's
        # ones): distinct values keep one input per parameter.
        with torch.no_grad():
            for mod in m.modules():
                if isinstance(mod, torch.nn.LayerNorm):
                    mod.weight.uniform_(0.5, 1.5)
                    mod.bias.uniform_(-0.2, 0.2)
        idx, tgt = torch.randint(0, 29, (2, 16)), torch.randint(0, 29, (2, 16))
        tgt[1, :4] = -1
        for opset in (14, 17):
            with self.subTest(opset=opset):
                check(self, m, (idx, tgt), ["idx", "targets"], opset, outputs=("logits", "loss"))


class CastRefusal(unittest.TestCase):
    def test_cast_changing_the_type_names_the_node(self):
        from onnx import TensorProto, helper
        nodes = [helper.make_node("Cast", ["x"], ["xd"], name="widen", to=TensorProto.DOUBLE),
                 helper.make_node("ReduceSum", ["xd"], ["y"], keepdims=0)]
        g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                         [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [])])
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "cast.onnx")
            onnx.save(model, path)
            with self.assertRaises(gradc.Error) as e:
                gradc.import_onnx(path, path=os.path.join(d, "out.json"))
            self.assertEqual(os.listdir(d), ["cast.onnx"])
        msg = str(e.exception)
        self.assertIn("node 'widen' (Cast)", msg)
        self.assertIn("from f32 to f64", msg)

    def test_cast_to_the_same_type_inside_the_graph(self):
        from onnx import TensorProto, helper
        nodes = [helper.make_node("Mul", ["x", "x"], ["sq"]),
                 helper.make_node("Cast", ["sq"], ["sqf"], name="same", to=TensorProto.FLOAT),
                 helper.make_node("ReduceSum", ["sqf"], ["y"], keepdims=0)]
        g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                         [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])],
                              [helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])])
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "cast.onnx")
            onnx.save(model, path)
            graph = gradc.import_onnx(path)
        self.assertNotIn("Cast", str(graph["nodes"]))
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        r = gradc.compile(graph).run(inputs={"x": x}, backward=[])
        self.assertAlmostEqual(float(r.outputs["y"]), float((x * x).sum()), places=3)


if __name__ == "__main__":
    unittest.main()
