//===- passes/AutodiffRules.h - Vector-Jacobian product rules --*- C++ -*-===//
//
// The local derivative rules of reverse-mode autodiff, one per op (as in
// tinygrad: a table of rules plus one reverse walk in passes/Autodiff).
// Each rule receives y = op(x0, x1, ...) and the adjoint gy = dL/dy and
// builds dL/dxi = gy^T (dy/dxi) for the operands that need it.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_AUTODIFFRULES_H
#define GRADC_PASSES_AUTODIFFRULES_H

#include "passes/GradBuilder.h"

#include <vector>

namespace gradc {

/// Builds the vector-Jacobian products of node `y` for adjoint `gy`. On
/// return, grads[i] holds dL/d(operand i) (with operand i's exact type) for
/// every i with needs[i]; other entries are left null. Throws gradc::Error
/// for ops whose gradient is not defined.
void buildVJP(GradBuilder &b, Node *y, Node *gy, const std::vector<bool> &needs,
              std::vector<Node *> &grads);

} // namespace gradc

#endif // GRADC_PASSES_AUTODIFFRULES_H
