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

} // namespace gradc

#endif // GRADC_PASSES_PASS_H
