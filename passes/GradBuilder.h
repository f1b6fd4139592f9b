//===- passes/GradBuilder.h - Node construction for derivative rules -*- C++ -*-===//
//
// A thin layer over Graph::addNode that the vector-Jacobian rules use to
// spell their math: g.mul(a, b), g.sumTo(x, shape), ... Every node it
// creates is a backward node: unnamed and not requiring grad.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_GRADBUILDER_H
#define GRADC_PASSES_GRADBUILDER_H

#include "ir/Graph.h"

namespace gradc {

/// Builds backward nodes into a graph.
class GradBuilder {
public:
  explicit GradBuilder(Graph &g) : g_(g) {}

  /// A rank-0 constant of `dtype`.
  Node *scalar(double v, DType dtype);
  /// A rank-0 bool constant.
  Node *boolean(bool v) { return scalar(v ? 1 : 0, DType::Bool); }
  /// Logical and / or of bool tensors, spelled with where() since the IR
  /// has no logical ops: a && b = where(a, b, false),
  /// a || b = where(a, true, b).
  Node *logicalAnd(Node *a, Node *b) { return select(a, b, boolean(false)); }
  Node *logicalOr(Node *a, Node *b) { return select(a, boolean(true), b); }
  /// A splat constant of `type`.
  Node *full(double v, const TensorType &type);
  /// Generic op node.
  Node *op(OpKind k, std::vector<Node *> operands, AttrMap attrs = {});

  Node *add(Node *a, Node *b) { return op(OpKind::Add, {a, b}); }
  Node *sub(Node *a, Node *b) { return op(OpKind::Sub, {a, b}); }
  Node *mul(Node *a, Node *b) { return op(OpKind::Mul, {a, b}); }
  Node *div(Node *a, Node *b) { return op(OpKind::Div, {a, b}); }
  Node *neg(Node *a) { return op(OpKind::Neg, {a}); }
  Node *mulScalar(Node *a, double s) { return mul(a, scalar(s, a->type.dtype)); }
  /// where(cond, a, b).
  Node *select(Node *c, Node *a, Node *b) { return op(OpKind::Where, {c, a, b}); }

  /// Reshapes to `shape` (no node when the shape already matches).
  Node *reshape(Node *x, const Shape &shape);
  /// Broadcasts to `shape` (no node when the shape already matches).
  Node *expandTo(Node *x, const Shape &shape);
  /// The adjoint of broadcasting: sums `x` over the dimensions that
  /// broadcasting to x's shape from `shape` created or stretched, then
  /// reshapes to `shape`.
  Node *sumTo(Node *x, const Shape &shape);
  /// Undoes a reduction over `dims` without keepdim: reinserts the reduced
  /// dimensions as 1s and broadcasts to `full` (the pre-reduction shape).
  Node *unreduce(Node *x, const std::vector<int64_t> &dims, bool keepdim,
                 const Shape &full);

  Graph &graph() { return g_; }

private:
  Graph &g_;
};

} // namespace gradc

#endif // GRADC_PASSES_GRADBUILDER_H
