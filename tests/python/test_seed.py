"""The seed document's sequence through the Python package: backward,
backward with a gradient (accumulating), again, then x.grad = None."""
import unittest

import numpy as np

import gradc

SEED = np.array([[0.1, 1.0], [1.0, 1.0]], np.float32)


class SeedSequence(unittest.TestCase):
    def setUp(self):
        self.g = gradc.compile("examples/seed.json")

    def check(self, grad, expected):
        np.testing.assert_allclose(grad, np.array(expected, np.float32), rtol=1e-6)

    def test_run(self):
        g = self.g
        r = g.run(inputs={"x": np.ones((2, 2), np.float32)}, backward=["out"])
        self.assertEqual(float(r.outputs["out"]), 27.0)
        np.testing.assert_array_equal(r.outputs["y"], np.full((2, 2), 3, np.float32))
        np.testing.assert_array_equal(r.outputs["z"], np.full((2, 2), 27, np.float32))
        self.check(r.grads["x"], [[4.5, 4.5], [4.5, 4.5]])
        r = g.run(seeds={"z": SEED}, backward=["z"], accumulate=True)
        self.check(r.grads["x"], [[6.3, 22.5], [22.5, 22.5]])
        r = g.run(backward=["out"], accumulate=True)
        self.check(r.grads["x"], [[10.8, 27], [27, 27]])
        g.grads["x"] = None
        self.assertIsNone(g.grad("x"))
        self.assertNotIn("x", g.grads)
        r = g.run(backward=["out"], accumulate=True)
        self.check(r.grads["x"], [[4.5, 4.5], [4.5, 4.5]])
        # accumulate=False overwrites whatever .grad held.
        r = g.run(backward=["out"])
        self.check(r.grads["x"], [[4.5, 4.5], [4.5, 4.5]])

    def test_retain_graph(self):
        g = self.g
        out = g.forward()
        self.assertEqual(float(out["out"]), 27.0)
        g.backward(["out"])
        self.check(g.grads["x"], [[4.5, 4.5], [4.5, 4.5]])
        g.backward(seeds={"z": SEED})              # z.backward(gradient)
        self.check(g.grads["x"], [[6.3, 22.5], [22.5, 22.5]])
        g.backward("out")
        self.check(g.grads["x"], [[10.8, 27], [27, 27]])
        g.grads["x"] = None                         # x.grad = None
        g.backward("out")
        self.check(g.grads["x"], [[4.5, 4.5], [4.5, 4.5]])

    def test_default_roots_and_forward_only(self):
        g = self.g
        r = g.run(backward=[])
        self.assertEqual(dict(r.grads), {})
        self.assertIsNone(g.grad("x"))
        r = g.run()                                  # every scalar output: out
        self.check(r.grads["x"], [[4.5, 4.5], [4.5, 4.5]])

    def test_compile_dict_and_dsl(self):
        d = {"name": "sq", "inputs": [{"name": "a", "shape": [3], "requires_grad": True}],
             "nodes": [{"name": "s", "op": "sum", "inputs": ["p"]},
                       ] , "outputs": ["s"]}
        with self.assertRaises(gradc.Error) as e:
            gradc.compile(d)
        self.assertIn("p", str(e.exception))
        d["nodes"] = [{"name": "p", "op": "mul", "inputs": ["a", "a"]},
                      {"name": "s", "op": "sum", "inputs": ["p"]}]
        g = gradc.compile(d)
        r = g.run(inputs={"a": [1.0, 2.0, 3.0]})
        np.testing.assert_allclose(r.grads["a"], [2, 4, 6])
        self.assertEqual(float(r.outputs["s"]), 14.0)

    def test_set_grad(self):
        g = self.g
        g.grads["x"] = np.full((2, 2), 1.0)
        r = g.run(backward=["out"], accumulate=True)
        self.check(r.grads["x"], [[5.5, 5.5], [5.5, 5.5]])
        g.zero_grad(set_to_none=False)
        np.testing.assert_array_equal(g.grads["x"], np.zeros((2, 2), np.float32))

    def test_readme_example(self):
        """README's Python example runs and ends with x.grad = 4.5."""
        with open("README.md") as f:
            text = f.read()
        block = text.split("## From Python", 1)[1].split("```python", 1)[1].split("```", 1)[0]
        scope = {}
        exec(compile(block, "README.md", "exec"), scope)
        self.check(scope["r"].grads["x"], [[4.5, 4.5], [4.5, 4.5]])


if __name__ == "__main__":
    unittest.main()
