//===- tests/passes/GraphInterpreter.h - Evaluates a graph in double -*- C++ -*-===//
//
// An oracle for the optimization tests that shares no code with codegen: it
// walks a joint graph (after autodiff, before any optimization) node by node
// in double precision, with plain index arithmetic for broadcasting,
// reductions, views and matrix products.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_TESTS_PASSES_GRAPHINTERPRETER_H
#define GRADC_TESTS_PASSES_GRAPHINTERPRETER_H

#include "ir/Graph.h"

#include <optional>
#include <vector>

namespace gradc {

/// Values of the interface of a joint graph.
struct InterpreterResult {
  std::vector<std::vector<double>> outputs; ///< One per graph output.
  std::vector<std::vector<double>> grads;   ///< One per gradient result.
};

/// Evaluates `g` with `inputs` (one per input, row-major) and `seeds` (one
/// per output; nullopt: zeros). Returns nullopt if `g` uses an op the
/// interpreter does not know.
std::optional<InterpreterResult>
interpretGraph(const Graph &g, const std::vector<std::vector<double>> &inputs,
               const std::vector<std::optional<std::vector<double>>> &seeds);

} // namespace gradc

#endif // GRADC_TESTS_PASSES_GRAPHINTERPRETER_H
