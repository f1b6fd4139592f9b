//===- python/src/PyGraph.h - A compiled graph for Python ------*- C++ -*-===//
//
// What `gradc.compile()` returns: a CompiledGraph plus the autograd state
// PyTorch keeps on tensors. Input values are NumPy arrays passed to
// generated code without copies; outputs are fresh arrays each call (a
// forward makes new tensors); the `.grad` of every requires_grad input is
// one array kept across calls and written in place, the way PyTorch
// accumulates into `x.grad`.
//
//   r = g.run(inputs={"x": x}, backward=["out"])   # forward + backward
//   g.forward(inputs={"x": x})                       # retain_graph style
//   g.backward(["out"]); g.backward(seeds={"z": s})  # accumulate
//   g.grads["x"] = None                              # x.grad = None
//
// Generated code runs with the GIL released, so other Python threads go
// on; a graph itself is used by one thread at a time (a second, concurrent
// call is refused with an error rather than racing on the buffers).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PYTHON_PYGRAPH_H
#define GRADC_PYTHON_PYGRAPH_H

#include "runtime/Compiler.h"
#include "runtime/Tensor.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

namespace gradc::python {

namespace py = pybind11;

/// The result of PyGraph::run(): outputs and the current `.grad` values.
struct RunResult {
  py::dict outputs; ///< Output name -> new array.
  py::dict grads;   ///< Input name -> its `.grad` array (absent while None).
};

/// A compiled graph with its buffers and `.grad` state.
class PyGraph {
public:
  explicit PyGraph(std::unique_ptr<CompiledGraph> compiled);

  /// Forward and backward in one call of the fused entry point.
  /// `inputs`: dict name -> array (None: keep the current values).
  /// `seeds`: dict output name -> cotangent. `backward`: list of output
  /// names (None: every scalar output that requires grad, plus every
  /// seeded one; []: forward only). `accumulate`: add into `.grad` instead
  /// of overwriting it.
  RunResult run(py::handle inputs, py::handle seeds, py::handle backward,
                bool accumulate);

  /// Forward pass that keeps the context for any number of backward()
  /// calls (retain_graph=True). Returns the outputs.
  py::dict forward(py::handle inputs);

  /// Backward on the context of the last forward(), accumulating into
  /// `.grad` as `tensor.backward()` does (a None `.grad` is assigned).
  /// `outputs` and `seeds` choose the roots as in run(), except that
  /// seeds without `outputs` make only the seeded outputs roots.
  void backward(py::handle outputs, py::handle seeds);

  /// Sets input values (dict name -> array) for later calls.
  void setInputs(py::handle inputs);
  /// The current value of an input.
  py::array input(const std::string &name) const;

  /// `x.grad`: the array, or None.
  py::object grad(const std::string &name) const;
  /// `x.grad = value`: None clears it; an array is copied in.
  void setGrad(const std::string &name, py::handle value);
  /// Every `.grad` that is not None, by input name.
  py::dict grads() const;
  /// `optimizer.zero_grad()`: every `.grad` to None (or to zeros).
  void zeroGrad(bool setToNone);

  /// Description of the inputs / outputs: list of dicts with name, dtype,
  /// shape, requires_grad (and grad_fn for outputs).
  py::list inputInfo() const;
  py::list outputInfo() const;
  const std::string &name() const;
  /// The generated C++ source.
  const std::string &cppSource() const { return compiled_->cppSource(); }
  /// Compile timings in milliseconds.
  py::dict times() const;

  /// Times `iters` calls of the fused entry point alone, from C++, with
  /// the current inputs and the roots of run(backward, seeds, accumulate);
  /// returns the per-call times in nanoseconds (for benchmarks: the cost
  /// of run() minus this is the Python binding's).
  std::vector<double> timeFused(py::handle backward, py::handle seeds,
                                bool accumulate, int iters);

private:
  /// Marks the graph busy for one call; refuses a concurrent one.
  class Busy;
  int inputIndexOrThrow(const std::string &name) const;
  int gradSlot(int input) const;
  void takeInputs(py::handle inputs);
  /// Resolves roots into seedPtrs_ (kept alive in seedArrays_).
  /// `seededOnly`: without `backward`, seeds given make only the seeded
  /// outputs roots (backward()); else scalar outputs join them (run()).
  void takeRoots(py::handle backward, py::handle seeds, bool seededOnly);
  void checkInputsSet() const;
  py::dict newOutputs();

  std::unique_ptr<CompiledGraph> compiled_;
  const ModuleInfo &info_;
  /// Throws gradc::Error for a nonzero status of an entry point.
  void checkStatus(unsigned long long status) const;
  std::vector<py::array> inputs_;  ///< Current value of each input.
  std::vector<bool> inputSet_;
  std::vector<py::array> grads_;   ///< One per gradInputs entry.
  std::vector<bool> gradValid_;
  std::vector<int> gradSlot_;      ///< Per input: index into grads_, or -1.
  std::vector<py::array> ones_;    ///< Implicit seed 1 of scalar outputs.
  std::vector<py::str> inputNames_, outputNames_;
  AlignedBuffer fusedWs_, ctx_, ws_;
  std::vector<const void *> inPtrs_, seedPtrs_;
  std::vector<void *> outPtrs_, gradPtrs_;
  std::vector<py::array> seedArrays_, outArrays_;
  bool haveContext_ = false;
  bool busy_ = false;
};

} // namespace gradc::python

#endif // GRADC_PYTHON_PYGRAPH_H
