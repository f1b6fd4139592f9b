//===- passes/VjpContext.h - What one reverse-mode rule sees ---*- C++ -*-===//
//
// The state shared by the reverse-mode rules of passes/AutodiffRules*.cpp:
// y = op(a, b, ...), its adjoint g = dL/dy, which operand adjoints are
// needed, and where they go. The rules are split by concept: the
// elementwise, reduction and shape ops (AutodiffRules.cpp), and the ops
// with special forms: matmul, convolution, norms, statistics, indexing and
// the backward helpers (AutodiffRulesSpecial.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_VJPCONTEXT_H
#define GRADC_PASSES_VJPCONTEXT_H

#include "ir/Error.h"
#include "passes/GradBuilder.h"

#include <string>
#include <vector>

namespace gradc {

/// The error of an op that reached a rule without a case for it: the op
/// list and the rules disagree, which is a bug, never the user's input.
inline InternalError noRule(const Node *y) {
  return InternalError("autodiff", std::string("no derivative rule for '") +
                                       y->info().name + "'");
}

/// One rule application: the node, its adjoint and the operand adjoints
/// to fill.
struct VjpCtx {
  GradBuilder &b;
  Node *y;
  Node *g;
  const std::vector<bool> &needs;
  std::vector<Node *> &grads;

  Node *a() const { return y->operands[0]; }
  Node *bOp() const { return y->operands[1]; }
  DType dt() const { return y->type.dtype; }
  bool need(size_t i) const { return needs[i]; }
  /// Sets operand i's adjoint, reducing broadcast dimensions.
  void set(size_t i, Node *v) {
    if (needs[i]) grads[i] = b.sumTo(v, y->operands[i]->type.shape);
  }
  Node *zero() const { return b.scalar(0, y->type.dtype); }
};

/// True for a rank-0 constant node of value `v`.
inline bool isScalarConst(const Node *n, double v) {
  return n->op == OpKind::Constant && n->type.rank() == 0 &&
         getFloat(n->attrs, "value", v + 1) == v;
}

/// The dims a reduction node reduces: its "dim" attribute, or all.
inline std::vector<int64_t> reducedDims(const Node *y) {
  const Shape &in = y->operands[0]->type.shape;
  std::vector<int64_t> all;
  for (int64_t i = 0; i < static_cast<int64_t>(in.size()); ++i) all.push_back(i);
  return getInts(y->attrs, "dim", all);
}

/// The rules of the ops of class Special (AutodiffRulesSpecial.cpp).
void specialRule(VjpCtx &c);

} // namespace gradc

#endif // GRADC_PASSES_VJPCONTEXT_H
