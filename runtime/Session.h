//===- runtime/Session.h - Running a compiled graph ------------*- C++ -*-===//
//
// PyTorch's autograd workflow on a compiled graph. A Session owns the
// buffers of one execution: input values, outputs, the `.grad` of every
// requires_grad input, a saved context and a workspace.
//
//   Session s(compiled);                  // inputs from their init
//   s.forward();                          // out = ..., saves the context
//   s.backward({{"out"}});                // out.backward(retain_graph=True)
//   s.backward({{"z", &seed}});           // z.backward(seed): accumulates
//   s.clearGrad("x");                     // x.grad = None
//   s.runFused({{"out"}}, false);         // forward + backward in one call
//
// A session is not thread-safe; use one per thread (the CompiledGraph is
// shared).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_SESSION_H
#define GRADC_RUNTIME_SESSION_H

#include "runtime/Compiler.h"
#include "runtime/Tensor.h"

#include <optional>
#include <string>
#include <vector>

namespace gradc {

/// A backward root: an output and its seed (cotangent). A null seed means
/// 1, which is only allowed for scalar outputs, as in PyTorch.
struct Root {
  std::string output;
  const Tensor *seed = nullptr;
};

/// Buffers and autograd state for running one CompiledGraph.
class Session {
public:
  /// Allocates all buffers; inputs take their declared init (inputs without
  /// one start as zeros and must be set before running, or run() throws).
  explicit Session(const CompiledGraph &g);

  /// Sets an input's value. Throws on an unknown name or a dtype/shape
  /// mismatch.
  void setInput(const std::string &name, const Tensor &value);
  const Tensor &input(const std::string &name) const;
  /// The value of an output after forward()/runFused().
  const Tensor &output(const std::string &name) const;
  /// The `.grad` of a requires_grad input; nullptr while it is None.
  const Tensor *grad(const std::string &name) const;
  /// The same `.grad`, writable in place (an all-reduce across processes,
  /// an optimizer that scales it); nullptr while it is None.
  Tensor *mutableGrad(const std::string &name);
  /// Sets the `.grad` of a requires_grad input to a copy of `value` (of the
  /// gradient's type). Throws on an unknown name, an input that does not
  /// require grad, or a dtype/shape mismatch.
  void setGrad(const std::string &name, const Tensor &value);
  /// `x.grad = None` for one input.
  void clearGrad(const std::string &name);
  /// `x.grad = None` for every input.
  void clearGrads();

  /// Forward pass; keeps the context for any number of backward() calls.
  void forward();
  /// Backward from `roots` on the context of the last forward(). Gradients
  /// accumulate into `.grad` as in PyTorch (None: assigned).
  void backward(const std::vector<Root> &roots);
  /// Forward and backward in one call of the fused entry point. With
  /// `accumulate`, existing `.grad` values are added to; without, they are
  /// overwritten.
  void runFused(const std::vector<Root> &roots, bool accumulate);

  const CompiledGraph &compiled() const { return g_; }

private:
  void checkInputsSet() const;
  /// Throws gradc::Error naming the node and the value for a nonzero
  /// status of an entry point (an index out of range).
  void check(unsigned long long status) const;
  /// Validates roots and fills the seed pointer array (seedPtrs_).
  const void *const *seedPointers(const std::vector<Root> &roots);
  /// Fills the input, output and gradient pointer arrays.
  void fillPointers();

  const CompiledGraph &g_;
  std::vector<Tensor> inputs_, outputs_, grads_;
  std::vector<bool> inputSet_, gradValid_;
  std::vector<Tensor> ones_; ///< Implicit seeds of scalar roots.
  AlignedBuffer fusedWs_, ctx_, ws_;
  // The entry points' pointer arrays, kept so a call allocates nothing.
  std::vector<const void *> inPtrs_, seedPtrs_;
  std::vector<void *> outPtrs_, gradPtrs_;
  bool haveContext_ = false;
};

} // namespace gradc

#endif // GRADC_RUNTIME_SESSION_H
