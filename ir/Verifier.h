//===- ir/Verifier.h - Structural checks of a graph ------------*- C++ -*-===//
//
// Checks the invariants every pass relies on: topological order, arity,
// types that match the shape rules, unique names, well-formed outputs,
// seeds and gradients. Runs after the frontends and, in debug builds,
// between passes.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_VERIFIER_H
#define GRADC_IR_VERIFIER_H

#include "ir/Graph.h"

namespace gradc {

/// Throws gradc::Error describing the first broken invariant of `g`.
void verifyGraph(const Graph &g);

} // namespace gradc

#endif // GRADC_IR_VERIFIER_H
