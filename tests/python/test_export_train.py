"""gradc.export of training-time models and of the indexing ops, the losses,
batch_norm and dropout against PyTorch: a GPT-style block with token and
position embeddings, a CNN with BatchNorm2d in training mode (running
statistics included), a model summing the new losses; loss and every
parameter gradient equal PyTorch's (f32, 1e-4 relative)."""
import math
import os
import sys
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_export_layers import perturb_norms  # noqa: E402

RTOL = 1e-4


def rel_err(a, b, floor=1e-12):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), floor)) if b.size else 0.0


def ops_of(graph):
    return {n["op"] for n in graph["nodes"]}


def compare(test, model, args, rtol=RTOL):
    """Exports model(*args), runs it, checks the loss and every parameter
    gradient against loss.backward(); returns the graph and the run."""
    graph = gradc.export(model, args)
    g = gradc.compile(graph)
    feed = {i["name"]: a.detach().numpy() for i, a in zip(graph["inputs"], args)}
    r = g.run(inputs=feed, backward=["output"])
    model.zero_grad()
    loss = model(*args)
    loss.backward()
    test.assertLessEqual(rel_err(r.outputs["output"], loss.detach().numpy()), rtol)
    floor = 1e-3 * max(float(p.grad.abs().max()) for p in model.parameters())
    n = 0
    for name, p in model.named_parameters():
        test.assertLessEqual(rel_err(r.grads[name], p.grad.numpy(), floor), rtol, name)
        n += 1
    test.assertEqual(len(r.grads), n)
    return graph, r


class GPT(nn.Module):
    """Token and position embeddings (positions from torch.arange), one
    pre-norm causal attention block, a tied-free head, next-token
    cross-entropy."""

    def __init__(self, V=17, T=8, C=16, nh=2):
        super().__init__()
        self.nh = nh
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.ln1, self.ln2, self.lnf = nn.LayerNorm(C), nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.out = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)
        self.head = nn.Linear(C, V, bias=False)

    def forward(self, idx, targets):
        B, T = idx.shape
        pos = torch.arange(0, T, dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        C = x.size(-1)
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q = q.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        k = k.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        v = v.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.nh))
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        att = F.softmax(att.masked_fill(mask, float("-inf")), dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(B, T, C))
        x = x + self.out(F.gelu(self.fc(self.ln2(x))))
        logits = self.head(self.lnf(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


class BNNet(nn.Module):
    """conv - BatchNorm2d - relu - pool, flatten, linear - BatchNorm1d -
    relu, linear, cross-entropy."""

    def __init__(self):
        super().__init__()
        # No bias before a batch norm: its gradient is zero up to rounding.
        self.conv = nn.Conv2d(2, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4, momentum=0.2)
        self.fc1 = nn.Linear(4 * 3 * 3, 12, bias=False)
        self.bn1 = nn.BatchNorm1d(12)
        self.fc2 = nn.Linear(12, 5)

    def forward(self, x, t):
        h = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        h = F.relu(self.bn1(self.fc1(h.flatten(1))))
        return F.cross_entropy(self.fc2(h), t)


class Losses(nn.Module):
    """A linear model scored by every new loss, functions and modules."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)
        self.nll = nn.NLLLoss(weight=torch.tensor([0.5, 1.0, 2.0, 1.5]))
        self.ce = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 0.3, 2.0, 0.7]),
                                      label_smoothing=0.1)
        self.bce_logits = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2.0, 0.5, 3.0]))
        self.bce, self.l1 = nn.BCELoss(reduction="sum"), nn.L1Loss()
        self.smooth, self.huber = nn.SmoothL1Loss(beta=0.5), nn.HuberLoss(delta=0.7)

    def forward(self, x, t, y):
        z = self.fc(x)
        loss = self.nll(F.log_softmax(z, 1), t) + self.ce(z, t)
        loss = loss + F.nll_loss(F.log_softmax(z, 1), t, ignore_index=2, reduction="sum")
        loss = loss + F.cross_entropy(z, t, label_smoothing=0.2)
        loss = loss + self.bce_logits(z, y) + F.binary_cross_entropy_with_logits(
            z, y, weight=torch.ones(4) * 0.5)
        p = torch.sigmoid(z)
        loss = loss + 0.1 * self.bce(p, y) + F.binary_cross_entropy(p, y, reduction="mean")
        loss = loss + self.l1(z, y) + F.l1_loss(z, y, reduction="sum") * 0.1
        loss = loss + self.smooth(z, y) + F.smooth_l1_loss(z, y, beta=2.0)
        return loss + self.huber(z, y) + F.huber_loss(z, y, delta=0.2, reduction="sum")


class ExportTraining(unittest.TestCase):
    def test_gpt_block(self):
        torch.manual_seed(21)
        m = GPT()
        perturb_norms(m)
        idx, tgt = torch.randint(0, 17, (3, 8)), torch.randint(0, 17, (3, 8))
        graph, _ = compare(self, m, (idx, tgt))
        ops = ops_of(graph)
        self.assertIn("embedding", ops)
        self.assertIn("arange", ops)
        self.assertNotIn("one_hot", ops)
        inp = {i["name"]: i for i in graph["inputs"]}
        self.assertEqual(inp["wte.weight"]["shape"], [17, 16])
        self.assertEqual(inp["idx"]["dtype"], "i64")

    def test_batch_norm_training(self):
        torch.manual_seed(22)
        m = BNNet().train()
        with torch.no_grad():
            m.bn.weight.uniform_(0.5, 1.5)
            m.bn.bias.uniform_(-0.3, 0.3)
            m.bn.running_mean.uniform_(-0.5, 0.5)
        before = {k: v.clone() for k, v in m.named_buffers()}
        x, t = torch.randn(4, 2, 6, 6), torch.randint(0, 5, (4,))
        graph = gradc.export(m, (x, t))
        # The example run left the buffers alone.
        for k, v in m.named_buffers():
            self.assertTrue(torch.equal(v, before[k]), k)
        self.assertEqual(graph["outputs"], ["output", "new.bn.running_mean", "new.bn.running_var",
                                            "new.bn1.running_mean", "new.bn1.running_var"])
        graph, r = compare(self, m, (x, t))  # compare() runs one training step
        # PyTorch updated its buffers in that step: gradc's outputs are those.
        for q in ("bn", "bn1"):
            for s in ("running_mean", "running_var"):
                self.assertLessEqual(rel_err(r.outputs["new.%s.%s" % (q, s)],
                                             getattr(getattr(m, q), s).numpy()), RTOL, q + s)

    def test_batch_norm_eval_and_functional(self):
        torch.manual_seed(23)
        m = BNNet()
        m.train()
        m(torch.randn(4, 2, 6, 6), torch.randint(0, 5, (4,)))  # some running statistics
        m.eval()
        x, t = torch.randn(3, 2, 6, 6), torch.randint(0, 5, (3,))
        graph, _ = compare(self, m, (x, t))
        self.assertEqual(graph["outputs"], ["output"])

        def f(x, w, b, r):
            # r weighs the outputs: a plain sum of a batch norm's output
            # has no gradient with respect to x.
            return (F.batch_norm(x, None, None, w, b, training=True) * r).sum() + \
                (F.batch_norm(x, None, None, None, b, True, 0.1, 1e-3) * r).sum()
        args = (torch.randn(4, 3, 5, requires_grad=True), torch.rand(3, requires_grad=True),
                torch.randn(3, requires_grad=True), torch.randn(4, 3, 5))
        graph = gradc.export(f, args)
        self.assertIn(None, [i for n in graph["nodes"] for i in n["inputs"]])
        r = gradc.compile(graph).run(
            inputs={i["name"]: a.detach().numpy() for i, a in zip(graph["inputs"], args)},
            backward=["output"])
        out = f(*args)
        out.backward()
        self.assertLessEqual(rel_err(r.outputs["output"], out.detach().numpy()), RTOL)
        for i, a in zip(graph["inputs"][:3], args):
            self.assertLessEqual(rel_err(r.grads[i["name"]], a.grad.numpy()), RTOL, i["name"])

    def test_losses(self):
        torch.manual_seed(24)
        m = Losses()
        x, t, y = torch.randn(5, 6), torch.randint(0, 4, (5,)), torch.rand(5, 4)
        graph, _ = compare(self, m, (x, t, y))
        self.assertLessEqual({"nll_loss", "cross_entropy", "binary_cross_entropy",
                              "binary_cross_entropy_with_logits", "l1_loss", "smooth_l1_loss",
                              "huber_loss"}, ops_of(graph))
        inp = {i["name"]: i for i in graph["inputs"]}
        self.assertNotIn("requires_grad", inp["nll.weight"])
        bce = [n for n in graph["nodes"] if n["op"] == "binary_cross_entropy_with_logits"]
        self.assertIn([None, "bce_logits.pos_weight"], [n["inputs"][2:] for n in bce])

    def test_batch_norm_output(self):
        """A model whose result is the batch norm itself: the output is a
        copy, the running statistics keep their names."""
        m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).train()
        x = torch.randn(5, 3)
        graph = gradc.export(m, (x,))
        self.assertEqual(graph["outputs"], ["output", "new.1.running_mean", "new.1.running_var"])
        r = gradc.compile(graph).run(inputs={graph["inputs"][0]["name"]: x.numpy()},
                                     backward=[])
        want = m(x).detach().numpy()
        self.assertLessEqual(rel_err(r.outputs["output"], want), RTOL)
        self.assertLessEqual(rel_err(r.outputs["new.1.running_var"], m[1].running_var.numpy()),
                             RTOL)

    def test_batch_norm_without_running_statistics(self):
        """track_running_stats=False: the batch's statistics even in eval
        mode, no extra outputs."""
        torch.manual_seed(26)
        m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, affine=False,
                                                          track_running_stats=False),
                          _Weighted(torch.randn(5, 4))).eval()
        x = torch.randn(5, 3)
        graph, _ = compare(self, m, (x,))
        self.assertEqual(graph["outputs"], ["output"])
        bn = [n for n in graph["nodes"] if n["op"] == "batch_norm"]
        self.assertEqual(len(bn[0]["inputs"]), 1)  # trailing absent tensors left out
        self.assertTrue(bn[0]["attrs"]["training"])

    def test_functional_dropout(self):
        def f(x):
            return F.dropout(x, 0.5) + F.dropout(x, p=0.2, training=False)
        graph = gradc.export(f, (torch.randn(4, 4),))
        drops = [n for n in graph["nodes"] if n["op"] == "dropout"]
        self.assertEqual([d["attrs"]["p"] for d in drops], [0.5])

    def test_dropout_seed_input(self):
        """dropout_seed=NAME: an i64 scalar input; each value its own mask."""
        m = nn.Sequential(nn.Linear(4, 32), nn.Dropout(0.5)).train()
        x = torch.randn(6, 4)
        graph = gradc.export(m, (x,), dropout_seed="step")
        seed = [i for i in graph["inputs"] if i["name"] == "step"]
        self.assertEqual(seed, [{"name": "step", "dtype": "i64", "shape": [], "init": 0}])
        drop = [n for n in graph["nodes"] if n["op"] == "dropout"][0]
        self.assertEqual(drop["inputs"][1], "step")
        g = gradc.compile(graph)
        feed = {graph["inputs"][0]["name"]: x.numpy()}

        def mask(step):
            out = g.run(inputs=dict(feed, step=np.array(step, np.int64)), backward=[])
            return out.outputs["output"] != 0
        self.assertTrue(np.array_equal(mask(3), mask(3)))
        self.assertFalse(np.array_equal(mask(3), mask(4)))

    def test_dropout(self):
        torch.manual_seed(25)
        m = nn.Sequential(nn.Linear(8, 64), nn.Dropout(0.0), nn.ReLU(), nn.Dropout(0.25),
                          nn.Linear(64, 3))
        x = torch.randn(16, 8)

        m.eval()
        graph, _ = compare(self, nn.Sequential(m, _MeanSquare()), (x,))
        self.assertNotIn("dropout", ops_of(graph))
        # Training mode: gradc's own mask, fixed by the seed rule.
        m.train()
        graph = gradc.export(m, (x,))
        drops = [n for n in graph["nodes"] if n["op"] == "dropout"]
        self.assertEqual(len(drops), 1)
        self.assertEqual(drops[0]["attrs"], {"p": 0.25, "training": True})
        again = gradc.export(m, (x,))
        self.assertEqual(graph, again)
        feed = {graph["inputs"][0]["name"]: x.numpy()}
        r1 = gradc.compile(graph).run(inputs=feed, backward=[])
        r2 = gradc.compile(again).run(inputs=feed, backward=[])
        np.testing.assert_array_equal(r1.outputs["output"], r2.outputs["output"])
        # Its hidden layer is relu(fc(x)) masked and scaled by 1 / 0.75.
        dm = nn.Sequential(m[0], m[2])
        h = dm(x).detach().numpy()
        hid = gradc.export(nn.Sequential(m[0], m[2], m[3]), (x,))
        hr = gradc.compile(hid).run(inputs=feed, backward=[]).outputs["output"]
        kept = hr != 0
        # The two sides' matrix products may come from different GEMM
        # libraries (gradc's f32 GEMM may be oneDNN's, PyTorch's OpenBLAS):
        # a value near a cancellation differs by a few ulp of its inputs.
        np.testing.assert_allclose(hr[kept], h[kept] / 0.75, rtol=1e-5, atol=1e-6)
        frac = kept[h != 0].mean()
        self.assertGreater(frac, 0.6)
        self.assertLess(frac, 0.9)


class _Weighted(nn.Module):
    """sum(x * r) for a fixed r (a batch norm's output has no gradient
    under a plain sum or a mean of squares)."""

    def __init__(self, r):
        super().__init__()
        self.register_buffer("r", r)

    def forward(self, x):
        return (x * self.r).sum()


class _MeanSquare(nn.Module):
    def forward(self, x):
        return x.pow(2).mean()


def _x(*shape):
    return (torch.rand(*shape) * 4 - 2).requires_grad_(True)


# (label, function, example inputs) of the indexing and factory rows.
OPS = [
    ("embedding padding_idx", lambda i, w: F.embedding(i, w, padding_idx=1) * 2,
     (torch.tensor([[0, 1, 2], [1, 3, 3]]), _x(4, 5))),
    ("nn.Embedding padding_idx", nn.Sequential(nn.Embedding(6, 3, padding_idx=0)),
     (torch.tensor([0, 5, 2, 0]),)),
    ("index_select", lambda x, i: torch.index_select(x, 1, i) + x.index_select(1, i),
     (_x(3, 5), torch.tensor([4, 0, 4]))),
    ("gather", lambda x, i: torch.gather(x, 1, i) * x.gather(1, i),
     (_x(3, 5), torch.tensor([[0, 4], [2, 2], [1, 3]]))),
    ("select", lambda x: torch.select(x, 1, 2) + x.select(0, -1)[:3] + x[0, 1:4]
     + x[:, -1].sum() + x[2][1], (_x(3, 5),)),
    ("tensor index", lambda w, i: w[i].sum(1) + w[i[0]].sum(), (_x(6, 4), torch.tensor([[1, 2],
                                                                                        [5, 5]]))),
    ("one_hot", lambda x, t: torch.where(F.one_hot(t, 5) > 0, x, x * 2)
     + torch.where(F.one_hot(t, num_classes=5) == 0, x, 0.0),
     (_x(3, 5), torch.tensor([0, 4, 2]))),
    ("zeros_like ones_like", lambda x: x * torch.ones_like(x) + torch.zeros_like(x),
     (_x(3, 5),)),
    ("arange full", lambda x: x * torch.arange(x.size(1), dtype=torch.float32) + torch.full((x.size(0), 1), 0.5)
     + torch.arange(1, 2 * x.size(1), 2, dtype=torch.float32), (_x(3, 5),)),
]


class ExportIndexOps(unittest.TestCase):
    def test_each_op(self):
        for label, fn, args in OPS:
            with self.subTest(label):
                graph = gradc.export(fn, args)
                g = gradc.compile(graph)
                feed = {i["name"]: a.detach().numpy() for i, a in zip(graph["inputs"], args)}
                params = dict(fn.named_parameters()) if isinstance(fn, nn.Module) else {}
                for a in list(args) + list(params.values()):
                    a.grad = None
                out = fn(*args).float()
                seed = torch.randn_like(out)
                out.backward(seed)
                r = g.run(inputs=feed, seeds={"output": seed.numpy()}, backward=["output"])
                self.assertLessEqual(rel_err(r.outputs["output"], out.detach().numpy()), RTOL)
                wants = [(i["name"], a) for i, a in zip(graph["inputs"], args)
                         if a.requires_grad] + list(params.items())
                for name, a in wants:
                    self.assertLessEqual(rel_err(r.grads[name], a.grad.numpy()), RTOL, name)

    def test_op_names(self):
        def f(x, i):
            return x[0] + x.index_select(0, i).sum(0) + torch.arange(x.size(1), dtype=x.dtype)
        graph = gradc.export(f, (torch.randn(3, 5), torch.tensor([0, 2])))
        self.assertLessEqual({"select", "index_select", "arange"}, ops_of(graph))
        self.assertNotIn("squeeze", ops_of(graph))

    def test_bad_index_raises(self):
        """An index outside the table stops the run with gradc.Error."""
        w = torch.randn(4, 3)
        graph = gradc.export(lambda i, w: F.embedding(i, w).sum(), (torch.tensor([0, 1]), w))
        g = gradc.compile(graph)
        with self.assertRaises(gradc.Error):
            g.run(inputs={"i": np.array([0, 7], np.int64), "w": w.numpy()}, backward=[])

    def test_refusals(self):
        cases = [
            (lambda x: x[x > 0].sum(), "bool mask"),
            (lambda x: F.embedding(torch.tensor([0]), x, max_norm=1.0), "max_norm"),
            (nn.Sequential(nn.BatchNorm1d(5, momentum=None)), "momentum=None"),
            (lambda x: x * torch.arange(x.size(1)), "dtypes f32 and i64: PyTorch promotes"),
        ]
        for fn, words in cases:
            with self.subTest(words):
                with self.assertRaises(gradc.Error) as e:
                    gradc.export(fn, (torch.randn(4, 5),))
                self.assertIn(words, str(e.exception))


if __name__ == "__main__":
    unittest.main()
