//===- passes/CSE.h - Common subexpression elimination ---------*- C++ -*-===//
//
// Value numbering over the topologically ordered graph: a node that
// computes the same op on the same operands with the same attributes and
// type as an earlier node is replaced by it. Equal constants merge too.
// Additions, multiplications and (in)equality are commutative in IEEE
// arithmetic, so their operands are compared as unordered pairs; maximum
// and minimum are not (the sign of a zero result depends on the order).
// Inputs and seeds are never merged: each is its own ABI argument.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_CSE_H
#define GRADC_PASSES_CSE_H

#include "passes/Pass.h"

#include <memory>

namespace gradc {

/// Merges duplicate computations; true if any node was replaced.
bool eliminateCommonSubexpressions(Graph &g);

/// The transformation as a pass named "cse".
std::unique_ptr<Pass> createCSEPass();

} // namespace gradc

#endif // GRADC_PASSES_CSE_H
