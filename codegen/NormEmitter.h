//===- codegen/NormEmitter.h - Loop nests of normalization -----*- C++ -*-===//
//
// The code templates of layer_norm and its internal backward ops: one pass
// per row for the statistics (mean and biased variance, in double), then
// one for the result.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_NORMEMITTER_H
#define GRADC_CODEGEN_NORMEMITTER_H

#include "codegen/EmitUtil.h"
#include "ir/Graph.h"

#include <functional>
#include <string>

namespace gradc {

/// The statements computing the normalization node `n` into its buffer.
std::string normalizationCode(const Node *n,
                              const std::function<ValueRef(const Node *)> &valueOf);

} // namespace gradc

#endif // GRADC_CODEGEN_NORMEMITTER_H
