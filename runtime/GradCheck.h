//===- runtime/GradCheck.h - Gradients against finite differences -*- C++ -*-===//
//
// The independent oracle of every derivative rule: the gradients gradc
// computes for a graph, compared with central finite differences of the
// same graph, both in f64.
//
// The objective is L = sum over the roots k of <seed_k, out_k> (the scalar
// whose gradient the backward pass computes). Its derivative by element i
// of an input x is estimated as (L(x + h e_i) - L(x - h e_i)) / 2h with
// h = eps * max(1, |x_i|).
//
// PyTorch's gradient treats every value that does not require grad as a
// constant: detach(), no_grad regions, comparisons. The check does the
// same: such values that depend on a requires_grad input are computed once
// at the unperturbed point and held fixed while differencing ("cut").
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_GRADCHECK_H
#define GRADC_RUNTIME_GRADCHECK_H

#include "runtime/Compiler.h"
#include "runtime/Tensor.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gradc {

/// What to check and how.
struct GradCheckOptions {
  /// Relative finite-difference step: h = eps * max(1, |x_i|). The default
  /// is about the cube root of the machine epsilon, which balances the
  /// truncation error (h^2) against rounding (1/h) of central differences.
  double eps = 6e-6;
  /// Elements checked per input; 0 checks all of them, otherwise a fixed
  /// pseudo-random sample of this many (for large weights).
  int64_t maxElementsPerInput = 0;
  /// Seeds the random cotangents of non-scalar roots and the sampling.
  uint64_t seed = 0x5eed;
  /// Backward roots (outputs). Empty: every output that requires grad.
  std::vector<std::string> roots;
  /// Cotangents of roots; scalar roots default to 1, others to random
  /// normal values. Any float dtype (converted to f64).
  std::map<std::string, Tensor> seeds;
  /// Input values; inputs not listed use their declared init.
  std::map<std::string, Tensor> inputs;
  /// An element whose error beyond rounding noise (maxExcessError's
  /// measure) exceeds this is measured again with the steps h/16 and
  /// h/256, and its smallest error counts. A kink of the objective within
  /// h of the point (relu at 0, a near tie in max_pool) drops out of a
  /// smaller step; a wrong gradient stays wrong at every step. Infinity
  /// turns the second look off.
  double recheckAbove = 1e-5;
};

/// The result for one requires_grad input.
struct InputGradCheck {
  std::string name;
  int64_t elements = 0;     ///< numel of the input.
  int64_t checked = 0;      ///< Elements compared.
  /// Worst relative error over the checked elements,
  ///   |a - n| / max(|a|, |n|, floor),
  /// where a is gradc's gradient, n the finite difference and floor 1e-3
  /// of the largest |a|, |n| of this input (so that components that are
  /// zero up to noise do not dominate).
  double maxRelError = 0;
  /// The same with the finite difference's rounding error allowed for:
  ///   max(0, |a - n| - noise) / max(|a|, |n|, floor),
  /// noise = 8 eps (1 + sum |terms of L|) / 2h (eps: f64 machine epsilon).
  /// The verdict of a check: large |L| (big activations) makes finite
  /// differences noisy without the gradient being wrong.
  double maxExcessError = 0;
  double maxAbsError = 0;   ///< Worst |a - n|.
  /// Elements measured again with smaller steps (see recheckAbove), and
  /// how many of them came within recheckAbove that way.
  int64_t rechecked = 0, resolvedBySmallerStep = 0;
  int64_t worstIndex = -1;  ///< Flat index of the worst element.
  double analytic = 0;      ///< a at the worst element.
  double numeric = 0;       ///< n at the worst element.
};

/// The result of a check.
struct GradCheckReport {
  std::vector<std::string> roots;        ///< The roots used.
  std::vector<std::string> randomSeeds;  ///< Roots given random seeds.
  std::vector<std::string> cutValues;    ///< Values held fixed (display names).
  double objective = 0;                  ///< L at the unperturbed point.
  std::vector<InputGradCheck> inputs;    ///< One per requires_grad input.

  /// The largest maxRelError over all inputs (0 when there are none).
  double worstRelError() const;
  /// The largest maxExcessError over all inputs.
  double worstExcessError() const;
};

/// A copy of a source graph with every f32 value made f64 (inputs,
/// constants, and so every op). Names, attributes, no_grad flags and
/// outputs are kept. Throws gradc::Error for a differentiated graph.
std::unique_ptr<Graph> promoteToFloat64(const Graph &g);

/// Checks every gradient of the source graph `g` (converted to f64) with
/// central finite differences, compiling with `compiler`. Throws
/// gradc::Error for unknown roots or inputs, roots that do not require
/// grad, seeds of the wrong shape, and inputs without a value.
GradCheckReport checkGradients(const Graph &g, const Compiler &compiler,
                               const GradCheckOptions &opts);

} // namespace gradc

#endif // GRADC_RUNTIME_GRADCHECK_H
