//===- passes/DifferentiableForm.cpp - Internal ops as user ops -----------===//
#include "passes/DifferentiableForm.h"

#include "ir/Error.h"
#include "passes/NormForms.h"

#include <algorithm>

namespace gradc {
namespace {

/// op(a) of _gemm: the last two dims swapped when the flag is set.
Node *maybeTranspose(GradBuilder &b, Node *a, bool t) {
  if (!t) return a;
  int64_t r = a->type.rank();
  return b.op(OpKind::Transpose, {a}, {{"dim0", r - 2}, {"dim1", r - 1}});
}

/// _slice_backward(g): g spread out with step-1 zeros between its entries
/// along `dim` (concat with zeros on a new axis, then a reshape), cut to
/// the extent, and placed between two blocks of zeros:
/// concat(zeros[start], spread(g), zeros[rest]).
Node *sliceBackwardForm(GradBuilder &b, Node *n) {
  Node *g = n->operands[0];
  int64_t dim = getInt(n->attrs, "dim", 0);
  int64_t start = getInt(n->attrs, "start", 0);
  int64_t step = getInt(n->attrs, "step", 1);
  const Shape &full = n->type.shape;
  DType dt = g->type.dtype;
  auto zeros = [&](Shape s, size_t d, int64_t extent) {
    s[d] = extent;
    return b.full(0, {dt, s});
  };
  Node *body = g;
  int64_t len = g->type.shape[dim];
  if (step > 1 && len > 0) {
    Shape u = g->type.shape;
    u.insert(u.begin() + dim + 1, 1);
    Node *col = b.reshape(g, u);
    Node *spread = b.op(OpKind::Concat, {col, zeros(u, dim + 1, step - 1)},
                        {{"dim", dim + 1}});
    Shape flat = g->type.shape;
    flat[dim] = len * step;
    body = b.reshape(spread, flat);
    len = std::min(len * step, full[dim] - start);
    if (len < flat[dim])
      body = b.op(OpKind::Slice, {body},
                  {{"dim", dim}, {"start", int64_t(0)}, {"end", len},
                   {"step", int64_t(1)}});
  }
  std::vector<Node *> parts;
  if (start > 0) parts.push_back(zeros(full, dim, start));
  parts.push_back(body);
  int64_t after = full[dim] - start - len;
  if (after > 0) parts.push_back(zeros(full, dim, after));
  if (parts.size() == 1) return body;
  return b.op(OpKind::Concat, parts, {{"dim", dim}});
}

} // namespace

CrossEntropyParts crossEntropyParts(GradBuilder &b, Node *g, Node *x, Node *t,
                                    const AttrMap &attrs) {
  DType dt = x->type.dtype;
  int64_t r = x->type.rank(), classDim = r - 1;
  int64_t classes = x->type.shape[classDim];
  Node *p = b.op(OpKind::Softmax, {x}, {{"dim", classDim}});
  std::vector<double> iota(static_cast<size_t>(classes));
  for (int64_t i = 0; i < classes; ++i) iota[i] = static_cast<double>(i);
  Node *ar = b.graph().addConstant({t->type.dtype, {classes}}, 0, iota);
  if (classes == 1) ar = b.graph().addConstant({t->type.dtype, {1}}, 0);
  Node *tCol = r == 2 ? b.reshape(t, {t->type.shape[0], 1}) : t;
  Node *oneHot = b.select(b.op(OpKind::Eq, {tCol, ar}), b.scalar(1, dt),
                          b.scalar(0, dt));
  int64_t ignore = getInt(attrs, "ignore_index", -100);
  Node *valid = b.select(
      b.op(OpKind::Ne, {t, b.scalar(static_cast<double>(ignore), t->type.dtype)}),
      b.scalar(1, dt), b.scalar(0, dt));
  if (valid->type.shape != t->type.shape) valid = b.expandTo(valid, t->type.shape);
  std::string red = getString(attrs, "reduction", "mean");
  Node *row = b.mul(valid, g); // sum: g; none: g_i (both 0 when ignored)
  if (red == "mean") {
    Node *count = r == 2 ? b.op(OpKind::Sum, {valid}) : valid;
    row = b.div(row, count);
  }
  Node *rowCol = r == 2 ? b.reshape(row, {x->type.shape[0], 1}) : row;
  return {p, oneHot, rowCol};
}

Node *crossEntropyGradWeights(GradBuilder &b, Node *g, Node *x, Node *t,
                              const AttrMap &attrs) {
  CrossEntropyParts c = crossEntropyParts(b, g, x, t, attrs);
  return b.mul(b.sub(c.p, c.oneHot), c.rowScale);
}

Node *differentiableForm(GradBuilder &b, Node *n) {
  // An if-chain rather than a switch: only a few ops are rewritten, and
  // every other op (user ops, the bool masks) is returned as it is.
  if (n->op == OpKind::Gemm) { // op(a) @ op(b) as matmul of transposes
    Node *a = maybeTranspose(b, n->operands[0], getBool(n->attrs, "trans_a", false));
    Node *c = maybeTranspose(b, n->operands[1], getBool(n->attrs, "trans_b", false));
    return b.op(OpKind::Matmul, {a, c});
  }
  if (n->op == OpKind::SliceBackward) return sliceBackwardForm(b, n);
  if (n->op == OpKind::CrossEntropyBackward)
    return crossEntropyGradWeights(b, n->operands[0], n->operands[1],
                                   n->operands[2], n->attrs);
  if (Node *r = normHelperForm(b, n)) return r; // the norms' helpers
  return n;
}

} // namespace gradc
