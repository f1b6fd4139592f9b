//===- passes/Autodiff.h - Reverse-mode differentiation pass ---*- C++ -*-===//
//
// Turns a forward graph into the joint forward+backward graph:
//   - every output that requires grad gets a seed (cotangent) leaf, which
//     the caller may leave null at run time ("not a backward root");
//   - one reverse topological walk applies the local rules of
//     passes/AutodiffRules, summing adjoints where a value has several uses
//     (this is also how several seeded roots sum their vector-Jacobian
//     products);
//   - every `requires_grad` input gets a gradient result (zeros when no
//     root depends on it).
// Forward nodes keep their requires-grad flags; backward nodes have none.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_AUTODIFF_H
#define GRADC_PASSES_AUTODIFF_H

#include "passes/Pass.h"

#include <memory>

namespace gradc {

/// Differentiates `g` in place (runs the requires-grad analysis first).
/// Returns true if it added anything. Throws gradc::Error for a graph that
/// already has gradients or for an op without a derivative rule.
bool differentiate(Graph &g);

/// The transformation as a pass named "autodiff".
std::unique_ptr<Pass> createAutodiffPass();

} // namespace gradc

#endif // GRADC_PASSES_AUTODIFF_H
