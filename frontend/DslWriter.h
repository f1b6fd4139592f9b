//===- frontend/DslWriter.h - Graphs as DSL source -------------*- C++ -*-===//
//
// Writes a source-level graph (as the frontends build it, before autodiff)
// as idiomatic DSL, for `gradc convert g.json -o g.grad`:
//
//   graph seed
//
//   x = ones(2, 2, requires_grad=True)
//
//   y = x + 2
//   z = y * y * 3
//   out = z.mean()
//   return out, z
//
// Inputs become constructors with their init; ops become infix operators
// with minimal parentheses, method calls (z.mean(), x.reshape(2, 3)) or
// function calls (relu(h)); single-use unnamed values are inlined where
// re-parsing creates the nodes in the same order, else bound to DSL
// temporaries ($0 = ...), which stay unnamed in the IR. Reading the result
// with parseDslGraph gives a graph that prints (printGraph) identically.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_DSLWRITER_H
#define GRADC_FRONTEND_DSLWRITER_H

#include "ir/Graph.h"
#include "ir/SizeVars.h"

#include <string>

namespace gradc {

/// Writes a source-level graph (before autodiff) as idiomatic DSL;
/// parseDslGraph of the result prints the same IR. Throws gradc::Error for
/// graphs the DSL cannot express: seeds and gradients (graphs after
/// autodiff), constants that are not scalar literals of a single user
/// created right before it (as GraphBuilder makes them), inputs with
/// attributes GraphBuilder does not produce, outputs whose name differs
/// from their node's name.
///
/// With `sizes`, an input declared there writes its shape as declared, size
/// variables as names (`input(B, 784)`), instead of the numbers it was
/// loaded with (frontend/SizeVarWriter.h).
std::string writeDslGraph(const Graph &g, const GraphSignature *sizes = nullptr);

} // namespace gradc

#endif // GRADC_FRONTEND_DSLWRITER_H
