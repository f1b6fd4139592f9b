//===- runtime/HigherOrderCheck.h - JVPs and second derivatives -*- C++ -*-===//
//
// `gradc check --jvp --second`: the forward-mode and second-order
// derivatives of a graph against finite differences, in f64.
//
//   - JVP: for random tangents v of the requires_grad inputs, the tangent
//     of every output computed by forward mode (passes/ForwardMode) is
//     compared with (f(x + h v) - f(x - h v)) / 2h.
//   - Second derivatives: every gradient of a one-element root becomes a
//     value (a grad node per requires_grad input) and an output; the
//     gradient check (runtime/GradCheck) then compares the derivatives of
//     those gradients, Hessian-vector products computed by reverse over
//     reverse, with finite differences of the gradients.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_HIGHERORDERCHECK_H
#define GRADC_RUNTIME_HIGHERORDERCHECK_H

#include "runtime/GradCheck.h"

namespace gradc {

/// The JVP check of one output.
struct JvpCheckOutput {
  std::string name;
  /// Worst |a - n| / max(max |a|, max |n|) over the output's elements, a
  /// the forward-mode tangent and n the finite difference (0 when both
  /// are 0).
  double maxRelError = 0;
  /// The same after allowing for the difference quotient's rounding
  /// error, 8 eps (1 + max |f|) / 2h: the verdict.
  double maxExcessError = 0;
  int64_t worstIndex = -1;
  double analytic = 0, numeric = 0; ///< a and n at the worst element.
  /// Why the output was not checked (empty: it was): it is computed from
  /// a detach or no_grad value that varies with the inputs, such as
  /// batch_norm's running statistics.
  std::string skipped;
};

/// Checks the JVP of every floating-point output of `g` along random
/// tangents (seeded by opts.seed, normal values scaled to a unit norm on
/// average) at opts.inputs, with the step
/// h = opts.eps * max(1, max |x|). An output computed from a detach or
/// no_grad value that depends on a requires_grad input (finite differences
/// cannot hold it fixed along a direction) is skipped, with the reason in
/// JvpCheckOutput::skipped. Throws gradc::Error when no input requires
/// grad or no output is left to check.
std::vector<JvpCheckOutput> checkJvp(const Graph &g, const Compiler &compiler,
                                     const GradCheckOptions &opts);

/// Checks second derivatives: the gradient check of the graph whose
/// outputs are grad(root, x) for every one-element root (opts.roots, else
/// every one-element output that requires grad) and every requires_grad
/// input x; their seeds are random. Throws gradc::Error when there is no
/// such root.
GradCheckReport checkSecondDerivatives(const Graph &g, const Compiler &compiler,
                                       const GradCheckOptions &opts);

} // namespace gradc

#endif // GRADC_RUNTIME_HIGHERORDERCHECK_H
