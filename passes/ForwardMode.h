//===- passes/ForwardMode.h - Forward-mode differentiation pass -*- C++ -*-===//
//
// Turns a forward graph into the graph of its Jacobian-vector product
// (jax.jvp, torch.autograd.functional.jvp): every `requires_grad` input x
// gets a tangent input "tangent:x" of the same type, and every output o a
// tangent output "tangent:o", computed by the rules of passes/JvpRules in
// one forward walk. The result is an ordinary forward graph, so the normal
// pipeline fuses primal and tangent computations into the same loops.
//
// `grad` nodes are expanded first (passes/ExpandGrad), so forward mode over
// a gradient is forward-over-reverse: the Hessian-vector product
// H v = d/dt grad(f)(x + t v).
//
// Semantics follow DESIGN.md ("Higher-order AD"): tangents are taken with
// respect to requires_grad inputs; detach and no_grad nodes carry zero
// tangents; an output that depends on no tangent gets zeros.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_FORWARDMODE_H
#define GRADC_PASSES_FORWARDMODE_H

#include "ir/Graph.h"

#include <string>
#include <vector>

namespace gradc {

/// What forward mode differentiates.
struct ForwardModeOptions {
  /// Directions per sweep: 0 for one tangent of each input's own type;
  /// K > 0 for K stacked tangents of type [K, *shape] (a batched sweep).
  int64_t batch = 0;
  /// Inputs that get tangents; empty: every requires_grad input.
  std::vector<std::string> wrt;
  /// Outputs that get tangents; empty: every output.
  std::vector<std::string> of;
  /// Keep the inputs' requires_grad flags (the graph is then also
  /// differentiated in reverse mode by the pipeline). Off by default: the
  /// JVP graph is a pure forward graph.
  bool keepRequiresGrad = false;
};

/// The name of the tangent of input or output `name`.
std::string tangentName(const std::string &name);

/// Applies forward mode to `g` in place. Tangent inputs are declared with
/// init zeros (an input given no tangent has a zero tangent). Throws
/// gradc::Error for an unknown or non-requires_grad input in `wrt`, an
/// unknown output in `of`, a graph already differentiated in reverse mode,
/// or a name clash with an existing "tangent:" name.
void applyForwardMode(Graph &g, const ForwardModeOptions &opts);

} // namespace gradc

#endif // GRADC_PASSES_FORWARDMODE_H
