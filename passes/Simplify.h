//===- passes/Simplify.h - Algebraic simplification ------------*- C++ -*-===//
//
// Local rewrites that make the joint graph smaller and cheaper without
// changing any result (IEEE semantics; NaN and Inf propagate as before):
//
//   x + 0, x - 0, x * 1, x / 1, x ** 1  ->  x        (same type only)
//   x * -1 -> -x,   -(-x) -> x,   x + (-y) -> x - y,   x - (-y) -> x + y
//   x + x -> x * 2 (exact),   x ** 2 -> x * x (as PyTorch computes it),
//   x ** 0 -> 1 (IEEE pow: even for NaN),   where(c, a, a) -> a
//   detach(x) -> x (the joint graph no longer needs the marker)
//   view(view(x)) -> view(x), views and expands to the same shape -> x,
//   expand(reshape(x)) -> expand(x) when the reshape only adds or drops
//   leading 1s, transpose(transpose(x)) -> x, transpose(a @ b) -> b^T a^T
//   (a _gemm reading both transposed: no transposed copy)
//   reductions over size-1 dims -> reshape; reductions of broadcasts over
//   exactly the broadcast dims: sum -> x * count, mean/max/min -> x
//   f(expand(a)) -> expand(f(a)) and f(expand(a), c) -> expand(f(a, c))
//   for elementwise f and rank-0 c: the op runs on the small tensor once.
//
// The only result that can differ is the sign of a zero: x + 0 with
// x = -0 gives +0 in IEEE arithmetic but x after the rewrite (as in XLA's
// algebraic simplifier).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_SIMPLIFY_H
#define GRADC_PASSES_SIMPLIFY_H

#include "passes/Pass.h"

#include <memory>

namespace gradc {

/// Applies the rewrites above until none applies; true if any did.
bool simplifyAlgebra(Graph &g);

/// The transformation as a pass named "simplify".
std::unique_ptr<Pass> createSimplifyPass();

} // namespace gradc

#endif // GRADC_PASSES_SIMPLIFY_H
