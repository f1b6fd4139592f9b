//===- tests/passes/GraphInterpreter.h - Evaluates a graph in double -*- C++ -*-===//
//
// An oracle for the optimization tests that shares no code with codegen: it
// walks a joint graph (after autodiff, before any optimization) node by node
// in double precision, with plain index arithmetic for broadcasting,
// reductions, views, matrix products, indexing (gathers and their
// scatter-add backward ops) and the tensor factories.
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
/// per output; nullopt: zeros). Index operands hold integers (as doubles).
/// Throws std::logic_error naming the op if `g` uses one the interpreter
/// does not evaluate (convolutions, pooling, normalization, the fused
/// losses, the statistics reductions, dropout), or naming the node for an
/// index out of range.
InterpreterResult
interpretGraph(const Graph &g, const std::vector<std::vector<double>> &inputs,
               const std::vector<std::optional<std::vector<double>>> &seeds);

} // namespace gradc

#endif // GRADC_TESTS_PASSES_GRAPHINTERPRETER_H
