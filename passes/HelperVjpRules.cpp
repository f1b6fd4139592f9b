//===- passes/HelperVjpRules.cpp - VJPs of the NN backward helpers --------===//
//
// With conv(x, w) a bilinear map and IB, WB its two adjoints,
//   <conv(x, w), g> = <x, IB(g, w)> = <w, WB(g, x)>,
// the adjoints of the helpers follow by moving each operand across the
// pairing: for y = IB(g, w) and adjoint a, <a, IB(g, w)> = <conv(a, w), g>
// = <w, WB(g, a)>; for y = WB(g, x), <a, WB(g, x)> = <conv(x, a), g> =
// <x, IB(g, a)>. The pool backward ops are the adjoints of linear maps
// (the average pools) or of the gather at each window's maximum, so their
// own adjoints are those maps; the maximum's position is piecewise
// constant in x, which gets no gradient. The indexing backward ops are
// scatter-adds, y = S(g) with <S(g), a> = <g, S^T(a)>, and S^T reads a at
// the indexed places: gather for _gather_backward, index_select for
// _index_select_backward (zero where the index is padding_idx, whose row
// the scatter skipped). The index itself is an integer: no gradient.
//
//===----------------------------------------------------------------------===//
#include "passes/HelperVjpRules.h"

#include "passes/PoolForms.h"

namespace gradc {
namespace {

AttrMap geometry(const AttrMap &a) {
  AttrMap r;
  for (const char *k : {"stride", "padding", "dilation", "groups"})
    if (a.count(k)) r[k] = a.at(k);
  return r;
}

OpKind convOf(const Node *x) {
  return x->type.rank() == 3 ? OpKind::Conv1d : OpKind::Conv2d;
}

/// The pool's own attributes (the helper's without input_size).
AttrMap poolAttrs(const AttrMap &a) {
  AttrMap r = a;
  r.erase("input_size");
  return r;
}

} // namespace

bool hasHelperVJP(OpKind k) {
  return k == OpKind::Conv2dInputBackward || k == OpKind::Conv2dWeightBackward ||
         k == OpKind::MaxPool2dBackward || k == OpKind::AvgPool2dBackward ||
         k == OpKind::AdaptiveAvgPool2dBackward ||
         k == OpKind::IndexSelectBackward || k == OpKind::GatherBackward;
}

void helperVJP(GradBuilder &b, Node *y, Node *gy, const std::vector<bool> &needs,
               std::vector<Node *> &grads) {
  grads.assign(y->operands.size(), nullptr);
  Node *g = y->operands[0];
  // An if-chain: only the helpers hasHelperVJP names arrive here.
  if (y->op == OpKind::Conv2dInputBackward) { // y = IB(g, w)
    Node *w = y->operands[1];
    if (needs[0]) grads[0] = b.op(convOf(gy), {gy, w}, geometry(y->attrs));
    if (needs[1]) {
      AttrMap a = geometry(y->attrs);
      a["weight_size"] = w->type.shape;
      grads[1] = b.op(OpKind::Conv2dWeightBackward, {g, gy}, a);
    }
    return;
  }
  if (y->op == OpKind::Conv2dWeightBackward) { // y = WB(g, x)
    Node *x = y->operands[1];
    if (needs[0]) grads[0] = b.op(convOf(x), {x, gy}, geometry(y->attrs));
    if (needs[1]) {
      AttrMap a = geometry(y->attrs);
      a["input_size"] = x->type.shape;
      grads[1] = b.op(OpKind::Conv2dInputBackward, {g, gy}, a);
    }
    return;
  }
  if (y->op == OpKind::AvgPool2dBackward && needs[0]) {
    grads[0] = b.op(OpKind::AvgPool2d, {gy}, poolAttrs(y->attrs));
    return;
  }
  if (y->op == OpKind::AdaptiveAvgPool2dBackward && needs[0]) {
    AttrMap a = {{"output_size", y->attrs.at("output_size")}};
    grads[0] = b.op(OpKind::AdaptiveAvgPool2d, {gy}, a);
    return;
  }
  if (y->op == OpKind::GatherBackward && needs[0]) { // S^T(a) = gather(a)
    grads[0] = b.op(OpKind::Gather, {gy, y->operands[1]},
                    {{"dim", y->attrs.at("dim")}});
    return;
  }
  if (y->op == OpKind::IndexSelectBackward && needs[0]) {
    Node *index = y->operands[1];
    grads[0] = b.op(OpKind::IndexSelect, {gy, index},
                    {{"dim", y->attrs.at("dim")}});
    if (y->attrs.count("padding_idx")) {
      // The scatter left padding_idx's row alone, so the places of g that
      // index it do not reach y: their adjoint is 0. The mask [n] is laid
      // along dim of g's shape.
      int64_t rank = g->type.rank();
      int64_t dim = getInt(y->attrs, "dim", 0);
      if (dim < 0) dim += rank;
      Shape along(static_cast<size_t>(rank), 1);
      along[static_cast<size_t>(dim)] = index->type.numel();
      Node *pad = b.scalar(static_cast<double>(getInt(y->attrs, "padding_idx", 0)),
                           index->type.dtype);
      Node *skipped = b.reshape(b.op(OpKind::Eq, {index, pad}), along);
      grads[0] = b.select(skipped, b.scalar(0, gy->type.dtype), grads[0]);
    }
    return;
  }
  if (y->op == OpKind::MaxPool2dBackward && needs[0]) {
    Node *x = y->operands[1];
    Node *pooled = b.op(OpKind::MaxPool2d, {x}, y->attrs);
    grads[0] = maxPoolGather(b, x, pooled, gy, y->attrs, 0);
  }
}

} // namespace gradc
