//===- runtime/FamilySession.h - A session whose sizes follow its inputs -*- C++ -*-===//
//
// The Session of a GraphFamily: the sizes of a run are bound from the
// shapes of the tensors set as inputs (and any set explicitly), and the run
// goes to the family's member of that binding. Everything autograd keeps
// between runs carries over when the sizes change, as it does in PyTorch
// when the next batch is shorter: the values of inputs that were set, and
// the `.grad` of every input whose shape has no size variable (a
// parameter's gradient keeps accumulating). The `.grad` of an input whose
// shape changed is None again.
//
//   GraphFamily f("mlp.json");          // x: ["B", 784]
//   FamilySession s(f);
//   s.setInput("x", batch);              // a [100, 784] tensor: B = 100
//   s.runFused({{"loss"}}, true);
//   s.setInput("x", lastBatch);          // [37, 784]: B = 37, same weights
//   s.runFused({{"loss"}}, true);        // w.grad accumulates both
//
// Not thread-safe; use one per thread (the family is shared).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_FAMILYSESSION_H
#define GRADC_RUNTIME_FAMILYSESSION_H

#include "runtime/GraphFamily.h"
#include "runtime/Session.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gradc {

/// Buffers and autograd state for running a GraphFamily at any sizes.
class FamilySession {
public:
  explicit FamilySession(GraphFamily &family) : family_(family) {}

  /// Sets an input's value; its shape binds the size variables it declares
  /// at the next run (checked then against the other inputs).
  void setInput(const std::string &name, const Tensor &value);
  /// Binds one size variable explicitly (for sizes no set input shows).
  void setSize(const std::string &name, int64_t value);

  /// Forward and backward in one call, at the sizes the inputs bind (see
  /// Session::runFused).
  void runFused(const std::vector<Root> &roots, bool accumulate);
  /// Forward pass at the sizes the inputs bind; keeps its context.
  void forward();
  /// Backward on the context of the last forward() (Session::backward).
  void backward(const std::vector<Root> &roots);

  /// The value of an output after the last run.
  const Tensor &output(const std::string &name) const;
  /// The `.grad` of a requires_grad input; nullptr while it is None.
  const Tensor *grad(const std::string &name) const;
  /// `x.grad = None` for one input.
  void clearGrad(const std::string &name);
  /// `x.grad = None` for every input.
  void clearGrads();

  /// The sizes of the last run (empty before the first).
  const SizeBinding &sizes() const { return sizes_; }
  /// The member's session of the last run; throws before the first run.
  Session &session() const;

private:
  /// Binds the sizes, switches to their member's session (carrying values
  /// and gradients over) and hands it the inputs set since.
  Session &prepare();

  GraphFamily &family_;
  SizeBinding explicit_, sizes_;
  std::map<std::string, Tensor> inputs_;   ///< Values set, by name.
  std::map<std::string, bool> pending_;    ///< Set since the session had them.
  std::map<SizeBinding, std::unique_ptr<Session>> sessions_;
  Session *current_ = nullptr;
};

} // namespace gradc

#endif // GRADC_RUNTIME_FAMILYSESSION_H
