//===- codegen/PoolEmitter.h - Loop nests of 2-D pooling --------*- C++ -*-===//
//
// The code templates of max_pool2d, avg_pool2d, adaptive_avg_pool2d and
// their backward ops: one loop over the output elements of each [H, W]
// plane, the window clamped to the input (padding is never read), and the
// backward ops scatter in the same fixed order (deterministic).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_POOLEMITTER_H
#define GRADC_CODEGEN_POOLEMITTER_H

#include "codegen/EmitUtil.h"
#include "ir/Graph.h"

#include <functional>
#include <string>

namespace gradc {

/// The statements computing the pooling node `n` (forward or backward)
/// into its buffer.
std::string poolingCode(const Node *n,
                        const std::function<ValueRef(const Node *)> &valueOf);

} // namespace gradc

#endif // GRADC_CODEGEN_POOLEMITTER_H
