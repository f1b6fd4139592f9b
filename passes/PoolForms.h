//===- passes/PoolForms.h - max_pool2d's selection as ordinary ops -*- C++ -*-===//
//
// The linear map behind max_pool2d's derivatives: each output element
// takes the value t had at the element its window picked (the first
// maximum in row-major window order, as PyTorch's kernel picks it). It is
// the tangent of max_pool2d in forward mode and the adjoint of its
// backward helper _max_pool2d_backward (the scatter's transpose is this
// gather). Built from slices, comparisons and where, one per window
// offset, so it needs no kernel of its own.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_POOLFORMS_H
#define GRADC_PASSES_POOLFORMS_H

#include "passes/GradBuilder.h"

namespace gradc {

/// Gathers `t` (x's shape, or [K, *x.shape] with batch K > 0) at the
/// elements max_pool2d (attributes `attrs`) picks from `x`, whose result
/// is `y`. Returns a value of y's shape ([K, *y.shape] when batched).
Node *maxPoolGather(GradBuilder &b, Node *x, Node *y, Node *t,
                    const AttrMap &attrs, int64_t batch);

} // namespace gradc

#endif // GRADC_PASSES_POOLFORMS_H
