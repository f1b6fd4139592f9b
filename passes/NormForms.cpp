//===- passes/NormForms.cpp - Normalization in differentiable ops ---------===//
#include "passes/NormForms.h"

namespace gradc {

NormStats normStats(GradBuilder &b, Node *x, const std::vector<int64_t> &dims,
                    double eps) {
  AttrMap red = {{"dim", dims}, {"keepdim", true}};
  Node *mu = b.op(OpKind::Mean, {x}, red);
  Node *xc = b.sub(x, mu);
  Node *var = b.op(OpKind::Mean, {b.mul(xc, xc)}, red);
  Node *rstd = b.op(OpKind::Rsqrt, {b.add(var, b.scalar(eps, x->type.dtype))});
  return {b.mul(xc, rstd), rstd};
}

Node *normJacobian(GradBuilder &b, const NormStats &st, Node *t,
                   const std::vector<int64_t> &tdims) {
  AttrMap red = {{"dim", tdims}, {"keepdim", true}};
  Node *mt = b.op(OpKind::Mean, {t}, red);
  Node *mtx = b.op(OpKind::Mean, {b.mul(t, st.xhat)}, red);
  return b.mul(st.rstd, b.sub(b.sub(t, mt), b.mul(st.xhat, mtx)));
}

std::vector<int64_t> layerNormDims(const Node *x, const AttrMap &attrs) {
  int64_t r = x->type.rank();
  int64_t l = static_cast<int64_t>(getInts(attrs, "normalized_shape", {}).size());
  std::vector<int64_t> d;
  for (int64_t i = r - l; i < r; ++i) d.push_back(i);
  return d;
}

Shape groupRowsShape(const Shape &x, int64_t groups) {
  int64_t rest = numElements(x) / (x[0] * groups);
  return {x[0], groups, rest};
}

namespace {

/// group_norm's per-channel weight [C] shaped to broadcast against an
/// [N, C, *] value: [C, 1, ..., 1].
Node *channelColumn(GradBuilder &b, Node *w, int64_t rank) {
  Shape s(static_cast<size_t>(rank - 1), 1);
  s[0] = w->type.shape[0];
  return b.reshape(w, s);
}

} // namespace

Node *normHelperForm(GradBuilder &b, Node *n) {
  // An if-chain: four helpers are rewritten; any other op is not ours.
  double eps = getFloat(n->attrs, "eps", 1e-5);
  if (n->op == OpKind::LayerNormXhat || n->op == OpKind::LayerNormBackward) {
    Node *x = n->op == OpKind::LayerNormXhat ? n->operands[0] : n->operands[1];
    std::vector<int64_t> dims = layerNormDims(x, n->attrs);
    NormStats st = normStats(b, x, dims, eps);
    if (n->op == OpKind::LayerNormXhat) return st.xhat;
    // dx = J (g w): the backward of y = xhat w + b for the input.
    Node *gw = n->operands[0];
    if (n->operands.size() >= 3) gw = b.mul(gw, n->operands[2]);
    return normJacobian(b, st, gw, dims);
  }
  if (n->op == OpKind::GroupNormXhat || n->op == OpKind::GroupNormBackward) {
    Node *x = n->op == OpKind::GroupNormXhat ? n->operands[0] : n->operands[1];
    const Shape &xs = x->type.shape;
    Shape rows = groupRowsShape(xs, getInt(n->attrs, "num_groups", 1));
    NormStats st = normStats(b, b.reshape(x, rows), {2}, eps);
    if (n->op == OpKind::GroupNormXhat) return b.reshape(st.xhat, xs);
    Node *gw = n->operands[0];
    if (n->operands.size() >= 3)
      gw = b.mul(gw, channelColumn(b, n->operands[2], x->type.rank()));
    return b.reshape(normJacobian(b, st, b.reshape(gw, rows), {2}), xs);
  }
  return nullptr;
}

} // namespace gradc
