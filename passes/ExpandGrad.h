//===- passes/ExpandGrad.h - Gradients as differentiable values -*- C++ -*-===//
//
// Expands every `grad(loss, w)` node (torch.autograd.grad(loss, w,
// create_graph=True)) into the ordinary nodes of its reverse-mode
// derivative: the reverse walk of passes/Autodiff runs on the ancestors of
// `loss` with the seed 1, and the adjoint of `w` replaces the node. The
// adjoint is built from user ops only (internal helpers are rewritten by
// passes/DifferentiableForm), so the later passes can differentiate it
// again: gradient penalties, grad of grad, Hessians.
//
// Nested grad nodes are expanded innermost first. `w` must require grad
// (as in PyTorch); a `loss` that does not depend on `w` gives zeros (as
// allow_unused=True with materialize_grads).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_EXPANDGRAD_H
#define GRADC_PASSES_EXPANDGRAD_H

#include "passes/Pass.h"

#include <memory>

namespace gradc {

/// Expands every grad node of `g` in place; returns true if there was one.
/// Throws gradc::Error naming the node when `w` does not require grad or a
/// derivative rule is missing.
bool expandGradNodes(Graph &g);

/// The transformation as a pass named "expand-grad".
std::unique_ptr<Pass> createExpandGradPass();

} // namespace gradc

#endif // GRADC_PASSES_EXPANDGRAD_H
