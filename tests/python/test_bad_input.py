"""Bad input from Python: converted when lossless in kind, else refused with
gradc.Error naming the tensor; never a crash."""
import os
import tempfile
import unittest

import numpy as np

import gradc


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.g = gradc.compile({
            "name": "lin",
            "inputs": [{"name": "x", "shape": [3, 4]},
                       {"name": "w", "shape": [4, 2], "requires_grad": True, "init": {"randn": 1}},
                       {"name": "t", "dtype": "i64", "shape": [3]}],
            "nodes": [{"name": "h", "op": "matmul", "inputs": ["x", "w"]},
                      {"name": "loss", "op": "cross_entropy", "inputs": ["h", "t"]}],
            "outputs": ["loss", "h"]})
        cls.x = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
        cls.t = np.array([0, 1, 1])

    def run_ok(self, **inputs):
        base = {"x": self.x, "t": self.t}
        base.update(inputs)
        return self.g.run(inputs=base)

    def test_zero_copy_and_conversions(self):
        ref = self.run_ok()
        # float64 and a strided view are converted once, to the same values.
        r = self.run_ok(x=self.x.astype(np.float64))
        np.testing.assert_array_equal(r.outputs["h"], ref.outputs["h"])
        big = np.zeros((3, 8), np.float32)
        big[:, ::2] = self.x
        view = big[:, ::2]
        self.assertFalse(view.flags.c_contiguous)
        r = self.run_ok(x=view)
        np.testing.assert_array_equal(r.outputs["h"], ref.outputs["h"])
        r = self.run_ok(x=self.x.tolist(), t=[0, 1, 1])
        np.testing.assert_array_equal(r.outputs["h"], ref.outputs["h"])
        # Fortran order
        r = self.run_ok(x=np.asfortranarray(self.x))
        np.testing.assert_array_equal(r.outputs["h"], ref.outputs["h"])

    def test_byte_order(self):
        ref = self.run_ok()
        r = self.run_ok(x=self.x.astype(">f4"), t=self.t.astype(">i8"))
        np.testing.assert_array_equal(r.outputs["h"], ref.outputs["h"])

    def test_threads_refused_not_raced(self):
        import threading
        g = gradc.compile("examples/seed.json")
        errors, results = [], []

        def work():
            for _ in range(2000):
                try:
                    results.append(float(g.run(backward=["out"]).outputs["out"]))
                except gradc.Error as e:
                    errors.append(str(e))
        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(errors) + len(results), 6000)
        self.assertTrue(all(v == 27.0 for v in results))
        self.assertTrue(all("already running" in e for e in errors))

    def expect_error(self, fragment, **kw):
        with self.assertRaises(gradc.Error) as e:
            self.g.run(**kw)
        self.assertIn(fragment, str(e.exception))
        self.assertIsInstance(e.exception, ValueError)

    def test_refused(self):
        t = self.t
        self.expect_error("input 'x' expects shape [3, 4], got [4, 3]",
                          inputs={"x": self.x.T.copy(), "t": t})
        self.expect_error("input 't' expects i64[3]", inputs={"x": self.x, "t": t.astype(np.float32)})
        self.expect_error("input 'x' expects f32[3,4], got an array of dtype <U",
                          inputs={"x": np.array([["a"] * 4] * 3), "t": t})
        self.expect_error("no input named 'q'", inputs={"q": 1})
        self.expect_error("input 'x' is None", inputs={"x": None, "t": t})
        self.expect_error("no output named 'nope'", backward=["nope"], inputs={"x": self.x, "t": t})
        self.expect_error("implicitly created only for scalar outputs", backward=["h"])
        self.expect_error("the seed of 'h' expects shape [3, 2]", backward=["h"],
                          seeds={"h": np.ones((2, 3), np.float32)})
        self.expect_error("not among the backward roots", backward=["loss"],
                          seeds={"h": np.ones((3, 2), np.float32)})
        self.expect_error("inputs must be a dict", inputs=[self.x])
        self.g.forward(inputs={"x": self.x, "t": t})
        with self.assertRaises(gradc.Error) as e:
            self.g.backward(["h"])
        self.assertIn("implicitly created only for scalar outputs", str(e.exception))
        with self.assertRaises(gradc.Error):
            self.g.grads["t"] = np.zeros(3)

    def test_missing_input(self):
        g = gradc.compile({"name": "m", "inputs": [{"name": "a", "shape": [2]}],
                           "nodes": [{"name": "s", "op": "sum", "inputs": ["a"]}], "outputs": ["s"]})
        with self.assertRaises(gradc.Error) as e:
            g.run()
        self.assertIn("input 'a' has no value", str(e.exception))
        with self.assertRaises(gradc.Error) as e:
            g.backward()
        self.assertIn("needs a forward() first", str(e.exception))

    def test_bad_graphs(self):
        with self.assertRaises(gradc.Error) as e:
            gradc.compile("does/not/exist.json")
        self.assertIn("does/not/exist.json", str(e.exception))
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "bad.grad")
            with open(p, "w") as f:
                f.write("x = input(2)\ny = x +\n")
            with self.assertRaises(gradc.Error) as e:
                gradc.compile(p)
            self.assertIn("bad.grad:2:", str(e.exception))
        with self.assertRaises(gradc.Error):
            gradc.compile({"name": "n", "inputs": [], "nodes": [{"op": "frobnicate"}], "outputs": []})
        with self.assertRaises(TypeError):
            gradc.compile(42)
        with self.assertRaises(gradc.Error):
            gradc.compile({"name": float("nan")})


    def test_class_target_out_of_range(self):
        # The compiled code finds it (no read outside the logits) and
        # run()/forward() raise gradc.Error naming the node and the value.
        for bad in (2, -5):
            with self.assertRaisesRegex(gradc.Error,
                                        "target %d out of range \\[0, 2\\) in node 'loss'" % bad):
                self.run_ok(t=np.array([0, bad, 1]))
            with self.assertRaisesRegex(gradc.Error, "out of range"):
                self.g.forward(inputs={"x": self.x, "t": np.array([0, bad, 1])})
        self.run_ok()  # and the graph still runs

if __name__ == "__main__":
    unittest.main()
