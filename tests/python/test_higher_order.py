"""gradc.jvp, gradc.jacobian and gradc.hessian against
torch.autograd.functional (jvp, jacobian, hessian, hvp) on a small
convolutional network with layer norm and GELU, in f64 (1e-7 relative)."""
import sys
import unittest

import numpy as np

try:
    import torch
    import torch.autograd.functional as AF
    import torch.nn.functional as F
except ImportError:
    print("PyTorch is not installed: skipped")
    sys.exit(77)

import gradc

RTOL = 1e-7

GRAPH = {
    "name": "small_cnn",
    "inputs": [
        {"name": "x", "dtype": "f64", "shape": [2, 2, 5, 5], "requires_grad": True},
        {"name": "w", "dtype": "f64", "shape": [3, 2, 3, 3], "requires_grad": True},
        {"name": "b", "dtype": "f64", "shape": [3], "requires_grad": True},
    ],
    "nodes": [
        {"name": "c", "op": "conv2d", "inputs": ["x", "w", "b"], "attrs": {"padding": 1}},
        {"name": "p", "op": "max_pool2d", "inputs": ["c"], "attrs": {"kernel_size": 2}},
        {"name": "n", "op": "layer_norm", "inputs": ["p"], "attrs": {"normalized_shape": [2, 2]}},
        {"name": "h", "op": "gelu", "inputs": ["n"]},
        {"name": "sq", "op": "mul", "inputs": ["h", "h"]},
        {"name": "loss", "op": "sum", "inputs": ["sq"]},
    ],
    "outputs": ["h", "loss"],
}


def torch_fn(x, w, b):
    h = F.gelu(F.layer_norm(F.max_pool2d(F.conv2d(x, w, b, padding=1), 2), [2, 2]))
    return h, (h * h).sum()


# One weight used by two grouped convolutions: the Hessian with respect to
# it needs every batched rule of the backward convolutions (a tangent of
# the weight inside the input backward, of the input inside the weight
# backward).
SHARED = {
    "name": "shared_conv",
    "inputs": [
        {"name": "x", "dtype": "f64", "shape": [2, 4, 6, 6], "requires_grad": True},
        {"name": "w", "dtype": "f64", "shape": [4, 2, 3, 3], "requires_grad": True},
    ],
    "nodes": [
        {"name": "c1", "op": "conv2d", "inputs": ["x", "w"],
         "attrs": {"padding": "same", "groups": 2}},
        {"name": "h1", "op": "tanh", "inputs": ["c1"]},
        {"name": "c2", "op": "conv2d", "inputs": ["h1", "w"],
         "attrs": {"stride": 2, "groups": 2}},
        {"name": "h2", "op": "tanh", "inputs": ["c2"]},
        {"name": "loss", "op": "sum", "inputs": ["h2"]},
    ],
    "outputs": ["loss"],
}


def shared_fn(x, w):
    h1 = torch.tanh(F.conv2d(x, w, padding="same", groups=2))
    return torch.tanh(F.conv2d(h1, w, stride=2, groups=2)).sum()


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12)) if b.size else 0.0


class HigherOrder(unittest.TestCase):
    def setUp(self):
        rng = np.random.default_rng(3)
        self.values = {s["name"]: rng.standard_normal(s["shape"]) for s in GRAPH["inputs"]}
        self.tangents = {s["name"]: rng.standard_normal(s["shape"]) for s in GRAPH["inputs"]}
        self.prim = tuple(torch.tensor(self.values[n]) for n in ("x", "w", "b"))

    def close(self, got, want, what):
        self.assertEqual(tuple(np.shape(got)), tuple(want.shape), what)
        self.assertLess(rel_err(got, want.detach().numpy()), RTOL, what)

    def test_jvp(self):
        outs, tans = gradc.jvp(GRAPH, self.values, self.tangents)
        t = tuple(torch.tensor(self.tangents[n]) for n in ("x", "w", "b"))
        (h, loss), (dh, dloss) = AF.jvp(torch_fn, self.prim, t)
        self.close(outs["h"], h, "h")
        self.close(tans["h"], dh, "tangent of h")
        self.close(tans["loss"], dloss, "tangent of loss")

    def test_jvp_missing_tangent_is_zero(self):
        only_w = {"w": self.tangents["w"]}
        _, tans = gradc.jvp(GRAPH, self.values, only_w)
        t = (torch.zeros_like(self.prim[0]), torch.tensor(self.tangents["w"]),
             torch.zeros_like(self.prim[2]))
        _, (dh, _) = AF.jvp(torch_fn, self.prim, t)
        self.close(tans["h"], dh, "tangent of h along w only")

    def test_jacobian_both_modes(self):
        for wrt, i in (("x", 0), ("w", 1)):
            def f(v, i=i):
                args = list(self.prim)
                args[i] = v
                return torch_fn(*args)[0]
            want = AF.jacobian(f, self.prim[i])
            for mode in ("rev", "fwd", "auto"):
                got = gradc.jacobian(GRAPH, "h", wrt, self.values, mode=mode)
                self.close(got, want, "jacobian d h / d %s (%s)" % (wrt, mode))

    def test_hessian_and_hvp(self):
        def f(w):
            return torch_fn(self.prim[0], w, self.prim[2])[1]
        want = AF.hessian(f, self.prim[1])
        got = gradc.hessian(GRAPH, "loss", "w", self.values)
        self.close(got, want, "hessian of loss wrt w")
        v = torch.tensor(self.tangents["w"])
        _, hvp = AF.hvp(f, self.prim[1], v)
        got_hvp = np.tensordot(got, self.tangents["w"], axes=4)
        self.close(got_hvp, hvp, "hessian-vector product")

    def test_hessians_through_shared_grouped_convolutions(self):
        rng = np.random.default_rng(5)
        vals = {s["name"]: rng.standard_normal(s["shape"]) for s in SHARED["inputs"]}
        x, w = torch.tensor(vals["x"]), torch.tensor(vals["w"])
        want_w = AF.hessian(lambda v: shared_fn(x, v), w)
        self.close(gradc.hessian(SHARED, "loss", "w", vals), want_w, "hessian wrt w")
        want_x = AF.hessian(lambda v: shared_fn(v, w), x)
        self.close(gradc.hessian(SHARED, "loss", "x", vals), want_x, "hessian wrt x")

    def test_compile_jvp_reuse(self):
        g = gradc.compile_jvp(GRAPH)
        names = {i["name"] for i in g.inputs}
        self.assertIn("tangent:x", names)
        r1 = g.run(inputs=dict(self.values, **{"tangent:b": np.ones(3)}), backward=[])
        r2 = g.run(inputs={"tangent:b": 2 * np.ones(3)}, backward=[])
        # The JVP is linear in the tangent.
        self.assertLess(rel_err(r2.outputs["tangent:loss"], 2 * r1.outputs["tangent:loss"]), 1e-12)

    def test_errors(self):
        with self.assertRaises(gradc.Error) as e:
            gradc.hessian(GRAPH, "h", "x", self.values)
        self.assertIn("one-element output", str(e.exception))
        with self.assertRaises(gradc.Error) as e:
            gradc.jacobian(GRAPH, "h", "nope", self.values)
        self.assertIn("'nope' is not an input", str(e.exception))
        with self.assertRaises(gradc.Error):
            gradc.jacobian(GRAPH, "h", "x", {"x": np.ones(3)})
        with self.assertRaises(TypeError):
            gradc.jvp(42)


if __name__ == "__main__":
    unittest.main()
