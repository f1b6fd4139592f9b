"""`gradc import` of models torch.onnx.export writes with the indexing ops,
the losses and batch normalization: a GPT-style block (Gather with tensor
indices: embedding), a CNN with BatchNorm in training mode
(BatchNormalization training_mode=1) and in eval mode, class-weighted
losses (SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss), GatherElements
and Dropout in training mode. The loss and every parameter gradient equal
PyTorch's (f32, 1e-4)."""
import os
import sys
import tempfile
import unittest

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_export_train import GPT, BNNet, rel_err  # noqa: E402
from test_export_layers import perturb_norms  # noqa: E402
from test_onnx_zoo import RTOL, check_graph, roundtrip as onnx_roundtrip  # noqa: E402


class BNEval(nn.Module):
    """conv - relu - BatchNorm2d (after the relu: torch.onnx folds a batch
    norm right after a convolution into it in eval mode), linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3 * 4 * 4, 5)

    def forward(self, x, t):
        return F.cross_entropy(self.fc(self.bn(F.relu(self.conv(x))).flatten(1)), t)

def roundtrip(model, args, names, opset, training=False):
    """torch.onnx.export then gradc's import; parameters (by their names)
    require grad, running statistics do not."""
    return onnx_roundtrip(model, args, names, ["loss"], opset, training)[0]


def check(test, model, args, names, opset, training=False):
    """The imported graph's loss and gradients against PyTorch's; returns
    the graph."""
    graph = roundtrip(model, args, names, opset, training)
    check_graph(test, graph, model, args, names)
    return graph


def ops_of(graph):
    return {n["op"] for n in graph["nodes"]}


class Weighted(nn.Module):
    """Class-weighted cross-entropy (SoftmaxCrossEntropyLoss with weights),
    nll_loss of something other than log_softmax (NegativeLogLikelihoodLoss),
    gather along the classes (GatherElements) and index_select on axis 1
    (Gather with a 1-D tensor index)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)
        self.register_buffer("w", torch.tensor([0.5, 1.0, 2.0, 1.5]))

    def forward(self, x, t):
        z = self.fc(x)
        loss = F.cross_entropy(z, t, weight=self.w) + F.nll_loss(z * 0.5, t, weight=self.w,
                                                                 reduction="sum")
        loss = loss + F.nll_loss(-z.abs(), t, ignore_index=1) + z.gather(1, t[:, None]).mean()
        return loss + z.index_select(1, t).pow(2).mean()


class OnnxTraining(unittest.TestCase):
    def test_gpt_block(self):
        torch.manual_seed(31)
        m = GPT()
        perturb_norms(m)  # (torch.onnx shares equal initializers, as all-ones weights)
        idx, tgt = torch.randint(0, 17, (3, 8)), torch.randint(0, 17, (3, 8))
        for opset in (15, 17):
            with self.subTest(opset=opset):
                graph = check(self, m, (idx, tgt), ["idx", "targets"], opset)
                self.assertIn("embedding", ops_of(graph))

    def test_batch_norm_training(self):
        torch.manual_seed(32)
        m = BNNet().train()
        x, t = torch.randn(4, 2, 6, 6), torch.randint(0, 5, (4,))
        for opset in (15, 17):
            with self.subTest(opset=opset):
                graph = check(self, m, (x, t), ["x", "t"], opset, training=True)
                bns = [n for n in graph["nodes"] if n["op"] == "batch_norm"]
                self.assertEqual(len(bns), 2)
                self.assertTrue(all(n["attrs"]["training"] for n in bns))
                self.assertAlmostEqual(bns[0]["attrs"]["momentum"], 0.2)

    def test_batch_norm_eval(self):
        torch.manual_seed(33)
        m = BNEval()
        with torch.no_grad():
            m.bn.weight.uniform_(0.5, 1.5)
        m(torch.randn(4, 2, 6, 6), torch.randint(0, 5, (4,)))  # running statistics
        m.eval()
        x, t = torch.randn(3, 2, 6, 6), torch.randint(0, 5, (3,))
        graph = check(self, m, (x, t), ["x", "t"], 13)
        self.assertIn("batch_norm", ops_of(graph))

    def test_batch_norm_running_outputs(self):
        """A training-mode BatchNormalization whose running statistics are
        graph outputs: gradc's values under gradc's names, PyTorch's
        update."""
        from onnx import TensorProto, helper
        x = np.random.RandomState(3).randn(6, 3, 4).astype(np.float32)
        scale, bias = np.array([0.5, 1.0, 2.0], np.float32), np.array([0.1, 0, -0.2], np.float32)
        mean, var = np.array([0.2, -0.1, 0.0], np.float32), np.array([1.0, 2.0, 0.5], np.float32)
        inits = [helper.make_tensor(n, TensorProto.FLOAT, [3], v)
                 for n, v in (("s", scale), ("b", bias), ("m", mean), ("v", var))]
        node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"],
                                training_mode=1, momentum=0.9)
        outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [6, 3, 4]),
                helper.make_tensor_value_info("rm", TensorProto.FLOAT, [3]),
                helper.make_tensor_value_info("rv", TensorProto.FLOAT, [3])]
        g = helper.make_graph([node], "bn", [helper.make_tensor_value_info(
            "x", TensorProto.FLOAT, [6, 3, 4])], outs, initializer=inits)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bn.onnx")
            onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)]), path)
            graph = gradc.import_onnx(path, trainable=["s", "b"])
        self.assertEqual(graph["outputs"], ["y", "y.running_mean", "y.running_var"])
        r = gradc.compile(graph).run(inputs={"x": x}, backward=[])
        bn = nn.BatchNorm1d(3, momentum=0.1)
        with torch.no_grad():
            bn.weight.copy_(torch.from_numpy(scale))
            bn.bias.copy_(torch.from_numpy(bias))
            bn.running_mean.copy_(torch.from_numpy(mean))
            bn.running_var.copy_(torch.from_numpy(var))
        y = bn.train()(torch.from_numpy(x)).detach().numpy()
        self.assertLessEqual(rel_err(r.outputs[graph["outputs"][0]], y), RTOL)
        self.assertLessEqual(rel_err(r.outputs[graph["outputs"][1]], bn.running_mean.numpy()),
                             RTOL)
        self.assertLessEqual(rel_err(r.outputs[graph["outputs"][2]], bn.running_var.numpy()),
                             RTOL)

    def test_weighted_losses(self):
        torch.manual_seed(34)
        m = Weighted()
        x, t = torch.randn(5, 6), torch.tensor([0, 3, 1, 2, 3])
        graph = check(self, m, (x, t), ["x", "t"], 15)
        self.assertLessEqual({"cross_entropy", "nll_loss", "gather", "index_select"},
                             ops_of(graph))

    def test_one_hot(self):
        """OneHot (F.one_hot) compared with an index, as a mask."""
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.rand(3, 5) + 0.5)

            def forward(self, x, t):
                return torch.where(F.one_hot(t, 5) > 0, x * self.w, x).pow(2).sum()
        m = M()
        x, t = torch.randn(3, 5), torch.tensor([0, 4, 2])
        graph = check(self, m, (x, t), ["x", "t"], 15)
        self.assertIn("one_hot", ops_of(graph))

    def test_dropout_training(self):
        """Dropout with training_mode: gradc's dropout, the same mask on
        every run."""
        torch.manual_seed(35)
        m = nn.Sequential(nn.Linear(6, 32), nn.Dropout(0.5), nn.Linear(32, 1))
        loss_m = _Sum(m).train()
        x = torch.randn(8, 6)
        graph = roundtrip(loss_m, (x,), ["x"], 15, training=True)
        drops = [n for n in graph["nodes"] if n["op"] == "dropout"]
        self.assertEqual(len(drops), 1)
        self.assertEqual(drops[0]["attrs"], {"p": 0.5, "training": True})
        g = gradc.compile(graph)
        a = g.run(inputs={"x": x.numpy()}, backward=["loss"])
        b = g.run(inputs={"x": x.numpy()}, backward=["loss"])
        np.testing.assert_array_equal(a.outputs["loss"], b.outputs["loss"])
        np.testing.assert_array_equal(a.grads["m.0.weight"], b.grads["m.0.weight"])


class _Sum(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x).sum()


if __name__ == "__main__":
    unittest.main()
