//===- passes/ConstantFold.h - Evaluates nodes of constants ----*- C++ -*-===//
//
// Replaces a node whose operands are all splat constants (every element
// equal) by the splat constant it evaluates to: elementwise ops, views and
// broadcasts, and reductions of splats. The arithmetic is done in the
// node's own dtype with the same functions the generated code calls
// (expf for f32, exp for f64, ...), so folding never changes a result.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_CONSTANTFOLD_H
#define GRADC_PASSES_CONSTANTFOLD_H

#include "passes/Pass.h"

#include <memory>
#include <optional>
#include <vector>

namespace gradc {

/// Folds constant subexpressions of `g`; true if any node was replaced.
bool foldConstants(Graph &g);

/// Evaluates elementwise op `op` on scalar operands of dtype `dtype` the
/// way generated code does; std::nullopt when `op` is not elementwise or
/// the operation is not defined for `dtype`.
std::optional<double> evaluateScalar(OpKind op, DType dtype,
                                     const std::vector<double> &operands);

/// The transformation as a pass named "const-fold".
std::unique_ptr<Pass> createConstantFoldPass();

} // namespace gradc

#endif // GRADC_PASSES_CONSTANTFOLD_H
