//===- passes/Pass.h - The pass interface ----------------------*- C++ -*-===//
//
// A pass rewrites a graph in place and reports whether it changed it (as in
// XLA's HloPassInterface). Each pass has a stable name used by
// `--print-after NAME`, `--dump-dir` and `--time-passes`.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_PASS_H
#define GRADC_PASSES_PASS_H

#include "ir/Graph.h"

#include <functional>
#include <memory>
#include <string>

namespace gradc {

/// One transformation or analysis of a graph.
class Pass {
public:
  virtual ~Pass() = default;
  /// Stable name, e.g. "autodiff", "cse", "dce".
  virtual std::string name() const = 0;
  /// Runs on `g`; returns true when the graph changed.
  virtual bool run(Graph &g) = 0;
};

/// A pass that is a name and a function returning whether it changed the
/// graph: the one way pass objects are made, instead of a wrapper class
/// per pass.
class FunctionPass : public Pass {
public:
  FunctionPass(std::string name, std::function<bool(Graph &)> fn)
      : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  bool run(Graph &g) override { return fn_(g); }

private:
  std::string name_;
  std::function<bool(Graph &)> fn_;
};

/// Makes the pass `name` that runs `fn`.
inline std::unique_ptr<Pass> makePass(std::string name,
                                      std::function<bool(Graph &)> fn) {
  return std::make_unique<FunctionPass>(std::move(name), std::move(fn));
}

} // namespace gradc

#endif // GRADC_PASSES_PASS_H
