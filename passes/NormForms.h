//===- passes/NormForms.h - Normalization in differentiable ops -*- C++ -*-===//
//
// layer_norm and group_norm written with ordinary ops (mean, rsqrt, ...),
// for the two places that need their derivatives as differentiable
// values: the forward-mode rules of the two norms, and the user-op forms
// of their internal backward helpers (_layer_norm_backward,
// _layer_norm_xhat, _group_norm_backward, _group_norm_xhat) that
// passes/DifferentiableForm substitutes when a gradient is differentiated
// again.
//
// Per row (the M normalized elements): mu = mean(x), v = mean((x - mu)^2)
// (biased), rstd = 1 / sqrt(v + eps), xhat = (x - mu) rstd. The Jacobian
// of xhat is symmetric, J = rstd (I - 1/M - xhat xhat^T / M), so the same
// map J t = rstd (t - mean(t) - xhat mean(t xhat)) is the tangent of xhat
// in forward mode and the input gradient of the backward.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_NORMFORMS_H
#define GRADC_PASSES_NORMFORMS_H

#include "passes/GradBuilder.h"

#include <vector>

namespace gradc {

/// The normalized value and the reciprocal standard deviation of `x` over
/// `dims` (rstd keeps those dims as 1s, so it broadcasts against x).
struct NormStats {
  Node *xhat = nullptr, *rstd = nullptr;
};
NormStats normStats(GradBuilder &b, Node *x, const std::vector<int64_t> &dims,
                    double eps);

/// J t = rstd (t - mean(t) - xhat mean(t xhat)), the means over `tdims` of
/// t (t may carry leading batch dims that xhat and rstd broadcast over).
Node *normJacobian(GradBuilder &b, const NormStats &st, Node *t,
                   const std::vector<int64_t> &tdims);

/// The normalized dims of layer_norm's input x: its last
/// len(normalized_shape) dims.
std::vector<int64_t> layerNormDims(const Node *x, const AttrMap &attrs);

/// group_norm's rows: [N, C, *] seen as [N, G, C / G * prod(*)].
Shape groupRowsShape(const Shape &x, int64_t groups);

/// The user-op form of a layer/group norm backward helper `n`
/// (same type and value), or nullptr for any other op.
Node *normHelperForm(GradBuilder &b, Node *n);

} // namespace gradc

#endif // GRADC_PASSES_NORMFORMS_H
