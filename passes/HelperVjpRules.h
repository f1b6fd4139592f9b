//===- passes/HelperVjpRules.h - VJPs of the NN backward helpers -*- C++ -*-===//
//
// Reverse-mode rules for the internal helpers that the backward of
// convolution, pooling and indexing builds (_conv2d_input_backward,
// _conv2d_weight_backward, the three pool backward ops, _gather_backward
// and _index_select_backward). They are
// reached when a gradient is differentiated again in reverse mode (a
// gradient penalty, grad of grad); each helper is linear in the incoming
// gradient, so its adjoint is the corresponding forward op.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_HELPERVJPRULES_H
#define GRADC_PASSES_HELPERVJPRULES_H

#include "passes/GradBuilder.h"

#include <vector>

namespace gradc {

/// True for the helpers helperVJP handles.
bool hasHelperVJP(OpKind k);

/// Builds dL/d(operand i) of helper node `y` for adjoint `gy` where
/// needs[i] (grads sized to the operands; entries not needed stay null).
void helperVJP(GradBuilder &b, Node *y, Node *gy, const std::vector<bool> &needs,
               std::vector<Node *> &grads);

} // namespace gradc

#endif // GRADC_PASSES_HELPERVJPRULES_H
