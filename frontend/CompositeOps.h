//===- frontend/CompositeOps.h - Expansions of composite ops ----*- C++ -*-===//
//
// The functions behind the table of frontend/Decompositions.cpp, one per
// composite op, each with the signature of Decomposition::expand. The
// losses live in CompositeLosses.cpp and CompositeCrossEntropy.cpp,
// batch_norm in CompositeBatchNorm.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_COMPOSITEOPS_H
#define GRADC_FRONTEND_COMPOSITEOPS_H

#include "frontend/GraphBuilder.h"

#include <string>
#include <vector>

namespace gradc {

/// The signature every expansion shares (see Decomposition::expand).
#define GRADC_COMPOSITE(fn)                                                    \
  Node *fn(GraphBuilder &b, const std::vector<BuildOperand> &x,                \
           const AttrMap &attrs, const std::string &name, bool noGrad)

/// l1_loss(input, target) {reduction}: |input - target|, reduced.
GRADC_COMPOSITE(l1Loss);
/// smooth_l1_loss(input, target) {reduction, beta}.
GRADC_COMPOSITE(smoothL1Loss);
/// huber_loss(input, target) {reduction, delta}.
GRADC_COMPOSITE(huberLoss);
/// binary_cross_entropy(input, target, weight=None) {reduction}.
GRADC_COMPOSITE(binaryCrossEntropy);
/// binary_cross_entropy_with_logits(input, target, weight=None,
/// pos_weight=None) {reduction}.
GRADC_COMPOSITE(binaryCrossEntropyWithLogits);
/// cross_entropy(input, target, weight=None) {reduction, ignore_index,
/// label_smoothing}: the primitive for the plain form, else PyTorch's
/// decomposition.
GRADC_COMPOSITE(crossEntropy);
/// batch_norm(input, running_mean, running_var, weight=None, bias=None)
/// {training, momentum, eps}; also defines NAME.running_mean and
/// NAME.running_var when training with running statistics.
GRADC_COMPOSITE(batchNorm);

#undef GRADC_COMPOSITE

} // namespace gradc

#endif // GRADC_FRONTEND_COMPOSITEOPS_H
