//===- passes/RequiresGrad.h - The requires-grad analysis ------*- C++ -*-===//
//
// PyTorch's rule, on a static graph: an input requires grad when declared
// so; any other node requires grad iff some operand does, the op has a
// gradient (comparisons do not), it is not `detach`, and it is not inside a
// `no_grad` region. In a differentiated graph, nodes that depend on a seed
// (the backward) never require grad.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_REQUIRESGRAD_H
#define GRADC_PASSES_REQUIRESGRAD_H

#include "passes/Pass.h"

#include <memory>

namespace gradc {

/// Sets Node::requiresGrad on every node; returns true if any flag changed.
bool analyzeRequiresGrad(Graph &g);

/// The analysis as a pass named "requires-grad".
std::unique_ptr<Pass> createRequiresGradPass();

} // namespace gradc

#endif // GRADC_PASSES_REQUIRESGRAD_H
