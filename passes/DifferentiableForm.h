//===- passes/DifferentiableForm.h - Internal ops as user ops --*- C++ -*-===//
//
// The backward pass uses a few internal helper ops (_gemm, _slice_backward,
// _cross_entropy_backward, the layer/group norm helpers) that are fast but
// have no derivative rules of their own. (The convolution and pooling
// helpers keep their kernels: they have derivative rules in both modes.) When a gradient is itself differentiated (a `grad` node that
// feeds a loss, a Hessian), these helpers are rewritten into ordinary,
// differentiable user ops that compute the same values.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_DIFFERENTIABLEFORM_H
#define GRADC_PASSES_DIFFERENTIABLEFORM_H

#include "passes/GradBuilder.h"

namespace gradc {

/// Builds the user-op form of internal node `n` (same type and value) and
/// returns it; returns `n` itself for user ops and for internal ops that
/// carry no gradient (the bool masks). Throws gradc::Error naming the node
/// for a form that has no differentiable rewrite.
Node *differentiableForm(GradBuilder &b, Node *n);

/// The pieces of cross_entropy's gradient with respect to its logits x:
/// p = softmax(x) over the classes, the one-hot rows of the targets, and
/// the per-row scale s (g / count of rows not ignored for mean, g for sum,
/// g_i for none; 0 on ignored rows), shaped to broadcast against x.
struct CrossEntropyParts {
  Node *p = nullptr, *oneHot = nullptr, *rowScale = nullptr;
};
CrossEntropyParts crossEntropyParts(GradBuilder &b, Node *g, Node *x, Node *t,
                                    const AttrMap &attrs);

/// The per-element weights of cross_entropy's gradient with respect to
/// its logits x for the loss adjoint g: (softmax(x) - onehot(t)) * s, where
/// s is g / count (mean over the rows not ignored), g (sum) or g_i (none),
/// and 0 on ignored rows. `attrs` are those of the cross_entropy node.
Node *crossEntropyGradWeights(GradBuilder &b, Node *g, Node *x, Node *t,
                              const AttrMap &attrs);

} // namespace gradc

#endif // GRADC_PASSES_DIFFERENTIABLEFORM_H
