//===- passes/JvpRules.h - Jacobian-vector product rules -------*- C++ -*-===//
//
// The local rules of forward-mode differentiation, one per op, beside the
// vector-Jacobian rules of passes/AutodiffRules. Each rule receives
// y = op(x0, x1, ...) and the tangents dxi of its operands and builds the
// tangent dy = sum_i (dy/dxi) dxi out of ordinary nodes, so that the
// primal and tangent values are computed in the same fused loops.
//
// Tangents may be batched: with batch K > 0 every tangent carries a
// leading dimension of K (K stacked directions, as jax.vmap over jvp
// does), so one sweep computes K Jacobian-vector products. Elementwise ops
// batch by broadcasting, reductions and shape ops shift their dims by one,
// matmul batches through its batch dimensions. Every op has a batched
// rule; there is no fallback.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_JVPRULES_H
#define GRADC_PASSES_JVPRULES_H

#include "passes/GradBuilder.h"

#include <vector>

namespace gradc {

/// Builds the tangent of node `y` from its operands' tangents `dx` (one per
/// operand; nullptr means a zero tangent). A tangent has the type of its
/// primal value, or [batch, *shape] when batch > 0. Returns nullptr when
/// the tangent is zero (no operand tangent reaches y, or y is piecewise
/// constant: comparisons, sign, masks). Throws gradc::Error naming the op
/// when it has no forward-mode rule.
Node *buildJVP(GradBuilder &b, Node *y, const std::vector<Node *> &dx,
               int64_t batch);

} // namespace gradc

#endif // GRADC_PASSES_JVPRULES_H
