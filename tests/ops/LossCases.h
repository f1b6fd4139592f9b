//===- tests/ops/LossCases.h - Cases of the losses, batch_norm, dropout ---===//
//
// Random finite-difference cases (tests/ops/OpCase.h) of the composite
// losses, batch_norm and dropout; OpCases.cpp lists them with
// the other ops.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_TESTS_OPS_LOSSCASES_H
#define GRADC_TESTS_OPS_LOSSCASES_H

#include "OpCase.h"

namespace gradc::test {

void nllLossCase(Case &c);
void crossEntropyFullCase(Case &c);
void l1LossCase(Case &c);
void smoothL1LossCase(Case &c);
void huberLossCase(Case &c);
void bceCase(Case &c);
void bceWithLogitsCase(Case &c);
void batchNormCase(Case &c);
void dropoutCase(Case &c);

} // namespace gradc::test

#endif // GRADC_TESTS_OPS_LOSSCASES_H
