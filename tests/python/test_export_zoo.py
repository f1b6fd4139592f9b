"""gradc.export of models written the way tutorials and users write them:
the tutorial CNN with x.view(x.size(0), -1), torchvision-style residual
blocks with in-place ReLUs and `out += identity`, nanoGPT-style attention
with a causal-mask buffer, a tied LM head and an assert on the length,
hand-written attention and LayerNorm, a loss in a function that closes over
the model. Each exports, compiles, and its loss and every parameter
gradient equal loss.backward() in PyTorch (f32, 1e-4 relative). Then what
cannot be exported, each refused with the op or module and the line."""
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradc  # noqa: E402
from zoo_models import (  # noqa: E402
    Activations, AnnotatedAttention, CausalConv, Distill, EinsumAttention, GapNet,
    HandAttention, MnistNet,
    MobileSE, NanoGPT, SequentialNet, SizeLoops, TextCNN, TinyResNet, TorchAttention,
    TorchTransformer, TutorialNet, VGGish)

RTOL = 1e-4


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12)) if b.size else 0.0


def compare(test, fn, args, params, loss_output="output", rtol=RTOL):
    """Exports fn(*args); runs it in gradc with the loss `loss_output` as
    the root; checks the loss against PyTorch's and every gradient of
    `params` (name -> parameter) against loss.backward()."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.json")
        graph = gradc.export(fn, args, path)
        g = gradc.compile(path)
    names = [i["name"] for i in graph["inputs"]]
    for n, p in params.items():
        if p.requires_grad:
            test.assertIn(n, names)
    feed = {i["name"]: a.detach().numpy() for i, a in zip(graph["inputs"], args)}
    r = g.run(inputs=feed, backward=[loss_output])
    for p in params.values():
        p.grad = None
    out = fn(*args)
    if isinstance(out, dict):
        loss = out[loss_output]
    elif isinstance(out, tuple):
        loss = out[graph["outputs"].index(loss_output)]
    else:
        loss = out
    loss.backward()
    test.assertLessEqual(rel_err(r.outputs[loss_output], loss.detach().numpy()), rtol)
    for n, p in params.items():
        if p.requires_grad:
            test.assertLessEqual(rel_err(r.grads[n], p.grad.numpy()), rtol, n)
    return graph, r


class UserModels(unittest.TestCase):
    def test_tutorial_cnn(self):
        torch.manual_seed(10)
        m = TutorialNet()
        x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
        graph, _ = compare(self, m, (x, y), dict(m.named_parameters()))
        self.assertEqual([i["name"] for i in graph["inputs"]][:3], ["x", "labels", "conv1.weight"])

    def test_sequential_inplace_flatten_dropout_eval(self):
        torch.manual_seed(11)
        m = SequentialNet().eval()
        x, y = torch.randn(4, 1, 8, 8), torch.randint(0, 10, (4,))
        graph, _ = compare(self, m, (x, y), dict(m.named_parameters()))
        ops = {n["op"] for n in graph["nodes"]}
        self.assertNotIn("dropout", ops)
        self.assertEqual(graph["outputs"], ["output"])  # eval: no running statistics

    def test_global_average_pooling_two_ways(self):
        torch.manual_seed(12)
        m = GapNet()
        x, y = torch.randn(3, 3, 9, 9), torch.randint(0, 5, (3,))
        graph, _ = compare(self, m, (x, y), dict(m.named_parameters()))
        ops = [n["op"] for n in graph["nodes"]]
        self.assertIn("adaptive_avg_pool2d", ops)
        self.assertIn("mean", ops)
        self.assertIn("concat", ops)

    def test_mnist_example_with_accuracy(self):
        torch.manual_seed(19)
        m = MnistNet().eval()
        x, y = torch.randn(6, 1, 16, 16), torch.randint(0, 10, (6,))
        graph, r = compare(self, m, (x, y), dict(m.named_parameters()), loss_output="output0")
        _, acc = m(x, y)
        self.assertEqual(float(r.outputs["output1"]), float(acc))

    def test_annotated_transformer_style(self):
        torch.manual_seed(20)
        m = AnnotatedAttention()
        x, mask = torch.randn(2, 7, 16), torch.ones(2, 7, 7).tril().int()
        compare(self, m, (x, mask), dict(m.named_parameters()))

    def test_resnet_batchnorm_training_and_residual_add(self):
        torch.manual_seed(13)
        m = TinyResNet()
        x, y = torch.randn(4, 3, 8, 8), torch.randint(0, 4, (4,))
        before = {n: b.clone() for n, b in m.named_buffers()}
        graph, r = compare(self, m, (x, y), dict(m.named_parameters()))
        # The export left the buffers as they were; compare() ran one
        # PyTorch step, whose in-place update the extra outputs reproduce.
        for name in ("stem.1", "layer1.bn2", "layer2.downsample.1"):
            for stat in ("running_mean", "running_var"):
                out = "new.%s.%s" % (name, stat)
                self.assertIn(out, graph["outputs"])
                now = dict(m.named_buffers())[name + "." + stat]
                self.assertFalse(torch.equal(now, before[name + "." + stat]))
                self.assertLessEqual(rel_err(r.outputs[out], now.numpy()), RTOL, out)

    def test_nanogpt(self):
        torch.manual_seed(14)
        m = NanoGPT().eval()
        idx, tgt = torch.randint(0, 29, (2, 16)), torch.randint(0, 29, (2, 16))
        tgt[0, :3] = -1  # ignored positions
        params = dict(m.named_parameters())
        self.assertNotIn("lm_head.weight", params)  # tied: listed once
        graph, r = compare(self, m, (idx, tgt), params, loss_output="output1")
        self.assertEqual(graph["outputs"], ["output0", "output1"])
        names = [i["name"] for i in graph["inputs"]]
        self.assertNotIn("lm_head.weight", names)
        logits, _ = m(idx, tgt)
        self.assertLessEqual(rel_err(r.outputs["output0"], logits.detach().numpy()), RTOL)

    def test_nanogpt_without_targets(self):
        """forward(idx, targets=None) given idx alone: traced with
        targets=None, so the logits are the one output (the loss is None)."""
        torch.manual_seed(23)
        m = NanoGPT().eval()
        idx = torch.randint(0, 29, (2, 16))
        graph = gradc.export(m, (idx,))
        self.assertEqual(graph["outputs"], ["output0"])
        self.assertEqual([i["name"] for i in graph["inputs"] if not i.get("requires_grad")],
                         ["idx", "transformer.h.0.attn.bias", "transformer.h.1.attn.bias"])
        r = gradc.compile(graph).run(inputs={"idx": idx.numpy()}, backward=[])
        self.assertLessEqual(rel_err(r.outputs["output0"], m(idx)[0].detach().numpy()), RTOL)

    def test_nanogpt_too_long_is_the_assert(self):
        m = NanoGPT(T=4).eval()
        with self.assertRaises(gradc.Error) as e:
            gradc.export(m, (torch.randint(0, 29, (1, 6)), torch.randint(0, 29, (1, 6))))
        self.assertIn("Cannot forward sequence of length 6", str(e.exception))

    def test_hand_written_attention_and_layer_norm(self):
        torch.manual_seed(15)
        m = HandAttention()
        compare(self, m, (torch.randn(2, 5, 16),), dict(m.named_parameters()))

    def test_activations_as_formulas_and_a_dict_result(self):
        torch.manual_seed(21)
        m = Activations()
        x, mask = torch.randn(3, 2, 5, 5), torch.rand(3, 5) > 0.3
        graph, r = compare(self, m, (x, mask), dict(m.named_parameters()), loss_output="loss")
        self.assertEqual(graph["outputs"], ["loss", "probs"])
        want = m(x, mask)["probs"].detach().numpy()
        self.assertLessEqual(rel_err(r.outputs["probs"], want), RTOL)

    def test_causal_conv_with_pads(self):
        torch.manual_seed(22)
        m = CausalConv()
        x = torch.randn(2, 3, 9, requires_grad=True)
        graph, r = compare(self, m, (x,), dict(m.named_parameters(), x=x))
        self.assertIn("concat", {n["op"] for n in graph["nodes"]})

    def test_vgg_layout(self):
        torch.manual_seed(24)
        m = VGGish().eval()
        x, y = torch.randn(2, 3, 8, 8), torch.randint(0, 5, (2,))
        compare(self, m, (x, y), dict(m.named_parameters()))

    def test_mobilenet_block_with_squeeze_excitation(self):
        torch.manual_seed(25)
        m = MobileSE()
        x, y = torch.randn(3, 4, 6, 6), torch.randint(0, 3, (3,))
        graph, _ = compare(self, m, (x, y), dict(m.named_parameters()))
        conv = [n for n in graph["nodes"] if n["op"] == "conv2d"]
        self.assertEqual(conv[0]["attrs"]["groups"], 4)

    def test_text_cnn(self):
        torch.manual_seed(26)
        m = TextCNN().eval()
        tokens, y = torch.randint(0, 30, (3, 7)), torch.randint(0, 4, (3,))
        tokens[0, -2:] = 0  # padding
        compare(self, m, (tokens, y), dict(m.named_parameters()))

    def test_distillation_losses(self):
        torch.manual_seed(27)
        m = Distill()
        args = (torch.randn(4, 6), torch.randn(4, 5), torch.randint(0, 5, (4,)),
                (torch.rand(4) > 0.3).float())
        compare(self, m, args, dict(m.named_parameters()))

    def test_torch_multihead_attention(self):
        for batch_first in (True, False):
            with self.subTest(batch_first=batch_first):
                torch.manual_seed(28)
                m = TorchAttention(batch_first)
                x = torch.randn(2, 5, 8) if batch_first else torch.randn(5, 2, 8)
                pad = torch.zeros(2, 5, dtype=torch.bool)
                pad[1, -1] = True
                compare(self, m, (x, pad), dict(m.named_parameters()))

    def test_torch_transformer_encoder(self):
        torch.manual_seed(29)
        m = TorchTransformer().eval()
        x, y = torch.randn(2, 5, 8), torch.randn(2, 5, 8)
        graph, _ = compare(self, m, (x, y), dict(m.named_parameters()))
        self.assertIn("encoder.layers.1.self_attn.in_proj_weight",
                      [i["name"] for i in graph["inputs"]])

    def test_einsum_attention(self):
        torch.manual_seed(30)
        m = EinsumAttention()
        graph, _ = compare(self, m, (torch.randn(2, 5, 16),), dict(m.named_parameters()))
        self.assertNotIn("einsum", {n["op"] for n in graph["nodes"]})

    def test_item_assignment(self):
        """x[mask] = 0, x[:, 0] = v, x[1:, 2:4] = y, x[0] = y[0, 0]:
        in-place writes, later uses read the result."""
        def f(x, y):
            h = x * 2
            kept = h
            h[h < 0] = 0.0
            h[:, 0] = float("-inf")
            h[1:, 2:4] = y
            h[0] = y[0, 0]
            return torch.softmax(kept, dim=-1).pow(2).sum() + (h[:, 1:] ** 2).sum()
        torch.manual_seed(31)
        x = torch.randn(3, 5, requires_grad=True)
        y = torch.randn(2, 2, requires_grad=True)
        graph, _ = compare(self, f, (x, y), {"x": x, "y": y})
        self.assertIn("masked_fill", {n["op"] for n in graph["nodes"]})

    def test_sizes_in_python_and_inplace_aliases(self):
        torch.manual_seed(16)
        m = SizeLoops()
        x, y = torch.randn(5, 3, 4), torch.randn(5, 3)
        compare(self, m, (x, y), dict(m.named_parameters()))

    def test_loss_in_a_function_closing_over_the_model(self):
        torch.manual_seed(17)
        model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(inplace=True), nn.Linear(16, 4))
        criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

        def step(x, y):
            return criterion(model(x), y)

        x, y = torch.randn(8, 6), torch.randint(0, 4, (8,))
        graph, _ = compare(self, step, (x, y), dict(model.named_parameters()))
        # One module with parameters: they keep their own names.
        self.assertEqual([i["name"] for i in graph["inputs"]],
                         ["x", "y", "0.weight", "0.bias", "2.weight", "2.bias"])

        # Two modules: each under the name the function uses.
        head = nn.Linear(4, 2)

        def two(x):
            return head(model(x)).pow(2).sum()
        graph = gradc.export(two, (x,))
        self.assertEqual(sorted(i["name"] for i in graph["inputs"] if i.get("requires_grad")),
                         ["head.bias", "head.weight", "model.0.bias", "model.0.weight",
                          "model.2.bias", "model.2.weight"])

    def test_method_of_a_module(self):
        torch.manual_seed(18)

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(5, 3)

            def forward(self, x):
                return self.fc(x)

            def training_step(self, x, y):
                return F.cross_entropy(self(x), y)

        m = Classifier()
        x, y = torch.randn(4, 5), torch.randint(0, 3, (4,))
        compare(self, m.training_step, (x, y), dict(m.named_parameters()))

    def test_export_leaves_inputs_and_buffers_alone(self):
        m = TinyResNet()
        x, y = torch.randn(2, 3, 8, 8), torch.randint(0, 4, (2,))
        x0 = x.clone()
        before = {n: b.clone() for n, b in m.named_buffers()}
        gradc.export(m, (x, y))
        self.assertTrue(torch.equal(x, x0))
        for n, b in m.named_buffers():
            self.assertTrue(torch.equal(b, before[n]), n)

        def inplace_on_argument(x):
            x.relu_()
            return x.sum()
        z = torch.randn(3, 3)
        z0 = z.clone()
        graph = gradc.export(inplace_on_argument, (z,))
        self.assertTrue(torch.equal(z, z0))
        r = gradc.compile(graph).run(inputs={"x": z.numpy()}, backward=[])
        self.assertAlmostEqual(float(r.outputs["output"]), float(z.relu().sum()), places=4)


class Refusals(unittest.TestCase):
    def check(self, fn, args, *parts):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.json")
            with self.assertRaises(gradc.Error) as e:
                gradc.export(fn, args, path)
            self.assertEqual(os.listdir(d), [])  # nothing half-written
        for p in parts:
            self.assertIn(p, str(e.exception))
        return str(e.exception)

    def test_lstm(self):
        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(10, 8)
                self.lstm = nn.LSTM(8, 8, batch_first=True)
                self.fc = nn.Linear(8, 3)

            def forward(self, idx):
                h, _ = self.lstm(self.emb(idx))  # the LSTM line
                return self.fc(h).sum()
        self.check(Tagger(), (torch.randint(0, 10, (2, 5)),),
                   "'lstm' (torch.nn.LSTM)", "no 'lstm' op", "test_export_zoo.py:",
                   "the LSTM line")

    def test_multihead_attention_options(self):
        class Enc(nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = nn.MultiheadAttention(8, 2, add_bias_kv=True)

            def forward(self, x):
                return self.attn(x, x, x)[0].sum()  # the attention line
        self.check(Enc(), (torch.randn(3, 2, 8),),
                   "'attn' (torch.nn.MultiheadAttention): MultiheadAttention with add_bias_kv",
                   "the attention line")

    def test_unknown_function_and_method(self):
        def f(x):
            return torch.kron(x, x).sum()
        self.check(f, (torch.randn(3, 3),), "(torch.kron): gradc has no mapping",
                   "in f: return torch.kron")

        def diagonal(x):
            return torch.einsum("ii->i", x).sum()
        self.check(diagonal, (torch.randn(3, 3),),
                   "(torch.einsum): einsum with a repeated index in one term ('ii')")

        def g(x):
            return x.cumprod(0).sum()
        self.check(g, (torch.randn(3),), "(Tensor.cumprod): gradc has no mapping")

    def test_control_flow_on_values(self):
        def f(x):
            if x.sum() > 0:
                return x.exp().sum()
            return x.sum()
        self.check(f, (torch.randn(3),), "cannot trace f", "tensor's values")

    def test_write_through_a_view_read_later(self):
        def f(x):
            y = x * 2
            v = y.view(-1)
            v.relu_()     # changes y too
            return (y * 3).sum()
        self.check(f, (torch.randn(2, 3),), "writes through a view", "'mul'",
                   "in f: v.relu_()")

    def test_dtype_conversion(self):
        def f(x):
            return x.double().sum()
        self.check(f, (torch.randn(3),), "dtype conversions (torch.float32 to torch.float64)")


if __name__ == "__main__":
    unittest.main()
