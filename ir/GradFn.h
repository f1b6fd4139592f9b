//===- ir/GradFn.h - PyTorch grad_fn names ---------------------*- C++ -*-===//
//
// The grad_fn name PyTorch 1.13 gives the tensor a node computes. PyTorch
// picks among overloads by the operand kinds (`x ** 2` is PowBackward0 but
// `x ** y` is PowBackward1; `x.sum()` is SumBackward0 but `x.sum(1)` is
// SumBackward1), so the name depends on the node, not just on its op.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_GRADFN_H
#define GRADC_IR_GRADFN_H

#include "ir/Graph.h"

#include <string>

namespace gradc {

/// The grad_fn name of `n`, e.g. "AddBackward0"; empty for leaves and for
/// ops without a gradient. Meaningful only for nodes that require grad.
std::string gradFnName(const Node &n);

} // namespace gradc

#endif // GRADC_IR_GRADFN_H
