"""Graphs with size variables from Python: gradc.compile() of a graph whose
input shapes name B gives a SizedGraph; each call binds B from its inputs'
shapes and gives the bits of the graph written with that number; parameters
and their accumulating .grad carry over to a shorter last batch; sizes share
compiled code; bad bindings raise gradc.Error."""

import os
import sys
import unittest

import numpy as np

import gradc


def mlp(b):
    return {"name": "mlp",
            "inputs": [
                {"name": "x", "shape": [b, 6]},
                {"name": "t", "dtype": "i64", "shape": [b]},
                {"name": "w", "shape": [6, 4], "requires_grad": True, "init": {"randn": 1}},
                {"name": "c", "shape": [4], "requires_grad": True, "init": "zeros"}],
            "nodes": [
                {"name": "h", "op": "matmul", "inputs": ["x", "w"]},
                {"name": "o", "op": "add", "inputs": ["h", "c"]},
                {"name": "loss", "op": "cross_entropy", "inputs": ["o", "t"]}],
            "outputs": ["o", "loss"]}


def batch(b, seed):
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((b, 6)).astype(np.float32),
            "t": rng.integers(0, 4, size=b).astype(np.int64)}


class SizedGraphTest(unittest.TestCase):
    def test_every_size_gives_the_static_bits(self):
        g = gradc.compile(mlp("B"))
        self.assertIsInstance(g, gradc.SizedGraph)
        self.assertEqual(g.size_names, ["B"])
        for b in (1, 7, 128):
            feed = batch(b, b)
            r = g.run(inputs=feed)
            self.assertEqual(g.sizes, {"B": b})
            s = gradc.compile(mlp(b)).run(inputs=feed)
            self.assertEqual(r.outputs["o"].shape, (b, 4))
            for k in ("o", "loss"):
                self.assertEqual(r.outputs[k].tobytes(), s.outputs[k].tobytes(), k)
            for k in ("w", "c"):
                self.assertEqual(r.grads[k].tobytes(), s.grads[k].tobytes(), k)
        compiles = g.compile_count
        self.assertLessEqual(compiles, 3)
        g.run(inputs=batch(7, 1))
        self.assertEqual(g.compile_count, compiles)
        # Sizes whose code differs from B = 7's only in numbers link its
        # compiled template: no compile, and still the static bits.
        for b in range(8, 40):
            r = g.run(inputs=batch(b, b))
        self.assertLessEqual(g.compile_count - compiles, 1)
        self.assertGreaterEqual(g.instance_count, 32)
        s = gradc.compile(mlp(39)).run(inputs=batch(39, 39))
        self.assertEqual(r.grads["w"].tobytes(), s.grads["w"].tobytes())

    def test_gradients_accumulate_across_a_short_last_batch(self):
        g = gradc.compile(mlp("B"))
        a, b = batch(5, 1), batch(3, 2)
        g.run(inputs=a, accumulate=True)
        g.run(inputs=b, accumulate=True)
        s5, s3 = gradc.compile(mlp(5)), gradc.compile(mlp(3))
        s5.run(inputs=a, accumulate=True)
        for k in ("w", "c"):
            s3.grads[k] = s5.grads[k]
        s3.run(inputs=b, accumulate=True)
        for k in ("w", "c"):
            self.assertEqual(g.grads[k].tobytes(), s3.grads[k].tobytes(), k)
        g.grads["w"] = None
        self.assertNotIn("w", g.grads)

    def test_bad_bindings_raise(self):
        g = gradc.compile(mlp("B"))
        with self.assertRaisesRegex(gradc.Error, "size 'B' is bound to two values"):
            g.run(inputs={"x": np.zeros((4, 6), np.float32),
                          "t": np.zeros(5, np.int64)})
        with self.assertRaisesRegex(gradc.Error, "size 'B' is not bound"):
            gradc.compile(mlp("B")).run()
        with self.assertRaisesRegex(gradc.Error, "must not be negative"):
            gradc.compile(mlp("B"), sizes={"B": -1}).run()
        with self.assertRaisesRegex(gradc.Error, "no size variable 'C'"):
            gradc.compile(mlp(3), sizes={"C": 2})
        self.assertEqual(g.compile_count, 0)

    def test_explicit_sizes_bind_what_no_input_shows(self):
        graph = mlp("B")
        for spec in graph["inputs"][:2]:
            spec["init"] = "zeros"
        g = gradc.compile(graph, sizes={"B": 2})
        r = g.run()
        self.assertEqual(r.outputs["o"].shape, (2, 4))


if __name__ == "__main__":
    unittest.main()
