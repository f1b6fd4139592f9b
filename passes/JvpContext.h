//===- passes/JvpContext.h - What one forward-mode rule sees ----*- C++ -*-===//
//
// The state shared by the forward-mode rules of passes/JvpRules*.cpp: the
// node y being differentiated, its operands' tangents and the batch of
// tangent directions, with the small helpers every rule needs to place a
// batched tangent against unbatched primal values. The rules are split by
// concept (core ops, elementwise math and statistics, convolution, pooling
// and normalization); each group is one function declared here.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_JVPCONTEXT_H
#define GRADC_PASSES_JVPCONTEXT_H

#include "passes/GradBuilder.h"

#include <vector>

namespace gradc {

/// One rule application: y = op(x0, x1, ...) with tangents dx (nullptr: a
/// zero tangent) and K stacked directions (0: unbatched).
struct JvpCtx {
  GradBuilder &b;
  Node *y;
  const std::vector<Node *> &dx;
  int64_t K;

  /// How far a primal dim moves in a tangent: 1 when batched, else 0.
  int64_t s() const { return K > 0 ? 1 : 0; }
  DType dt() const { return y->type.dtype; }
  Node *x(size_t i) const { return y->operands[i]; }
  Node *zero() const { return b.scalar(0, dt()); }
  Node *one() const { return b.scalar(1, dt()); }
  /// A shape with the batch dim in front (when batched).
  Shape lead(const Shape &sh) const {
    if (!K) return sh;
    Shape r{K};
    r.insert(r.end(), sh.begin(), sh.end());
    return r;
  }
  /// Operand i's tangent, padded with 1s after the batch dim to `rank`
  /// primal dims, so that right-aligned broadcasting pairs its dims with
  /// the primal's (nullptr if zero).
  Node *lift(size_t i, int64_t rank) const {
    Node *t = dx[i];
    if (!t || !K) return t;
    const Shape &xs = x(i)->type.shape;
    if (static_cast<int64_t>(xs.size()) >= rank) return t;
    Shape p{K};
    p.insert(p.end(), rank - xs.size(), 1);
    p.insert(p.end(), xs.begin(), xs.end());
    return b.reshape(t, p);
  }
  Node *liftY(size_t i) const { return lift(i, y->type.rank()); }
  /// The exact tangent type of y: broadcast to [K?, *y.shape].
  Node *fit(Node *t) const { return t ? b.expandTo(t, lead(y->type.shape)) : t; }
  /// p + q where either may be a zero (nullptr).
  Node *plus(Node *p, Node *q) const {
    if (!p) return q;
    if (!q) return p;
    return b.add(p, q);
  }
  /// Dims of the tangent that hold primal dims `d`.
  std::vector<int64_t> shifted(std::vector<int64_t> d) const {
    for (int64_t &v : d) v += s();
    return d;
  }
  /// Every primal dim of a tangent of a rank-r value.
  std::vector<int64_t> allDims(int64_t r) const {
    std::vector<int64_t> d;
    for (int64_t i = 0; i < r; ++i) d.push_back(i + s());
    return d;
  }
  /// Sums a tangent over `dims` (none: the value itself).
  Node *sumOver(Node *t, const std::vector<int64_t> &dims, bool keep) const {
    if (dims.empty()) return t;
    return b.op(OpKind::Sum, {t}, {{"dim", dims}, {"keepdim", keep}});
  }
  /// A batched tangent of a value with primal shape `primal` with the batch
  /// merged into the primal's first dim ([K * p0, p1, ...]), so that an op
  /// that is linear in that operand and treats its first dim as a batch
  /// (convolution, pooling) computes all K directions in one call.
  Node *mergeBatch(Node *t, const Shape &primal) const {
    if (!K) return t;
    Shape m = primal;
    m[0] *= K;
    return b.reshape(t, m);
  }
  /// `primal` with its first dim multiplied by K (the shape mergeBatch makes).
  Shape merged(Shape primal) const {
    if (K) primal[0] *= K;
    return primal;
  }
  /// The inverse of mergeBatch for the result: [K * y0, ...] -> [K, y0, ...].
  Node *splitBatch(Node *t) const { return b.reshape(t, lead(y->type.shape)); }
};

/// The reduced dims of a reduction node (every dim when it has no `dim`),
/// normalized to be non-negative.
std::vector<int64_t> jvpReducedDims(const Node *y);

/// Activations and elementwise math (gelu ... hardtanh, masked_fill) and
/// the statistical reductions, cumsum, triu and tril
/// (passes/JvpRulesMath.cpp).
Node *mathJvp(JvpCtx &c);

/// Convolution, pooling and normalization, and the internal helper ops
/// of their backward (passes/JvpRulesNN.cpp).
Node *nnJvp(JvpCtx &c);

} // namespace gradc

#endif // GRADC_PASSES_JVPCONTEXT_H
