//===- passes/JvpRulesNN.cpp - Forward-mode rules of the NN ops -----------===//
//
// Tangents of convolution, pooling and normalization and of the internal
// helpers of their backward (which forward mode meets when it runs over a
// gradient: Hessians, reverse-mode Jacobians).
//
// Convolution is linear in each operand, so its tangent is the same
// convolution with one operand replaced by its tangent. A batch of K
// tangent directions is folded into the convolution itself rather than
// looped over: a tangent of the input joins the batch dim N ([K N, C,
// ...]); a tangent of the weight joins the output channels as [O, K]
// (channel o K + k stays in o's group), so the primal input is read as it
// is. The pools are linear in their input (average) or pick one element per
// window (max: passes/PoolForms), and the helpers of the backward are
// linear in the incoming gradient.
//
//===----------------------------------------------------------------------===//
#include "passes/JvpContext.h"
#include "passes/JvpRules.h"
#include "passes/NormForms.h"
#include "passes/PoolForms.h"

#include "ir/Error.h"

#include <unordered_map>

namespace gradc {
namespace {

/// The geometry attributes a convolution node and its helpers share.
AttrMap convGeometryAttrs(const AttrMap &a) {
  AttrMap r;
  for (const char *k : {"stride", "padding", "dilation", "groups"})
    if (a.count(k)) r[k] = a.at(k);
  return r;
}

Node *permute(GradBuilder &b, Node *t, std::vector<int64_t> dims) {
  return b.op(OpKind::Permute, {t}, {{"dims", dims}});
}

/// 0, 1, ..., n - 1 after the given leading dims.
std::vector<int64_t> dimsAfter(std::vector<int64_t> head, int64_t n) {
  for (int64_t d = static_cast<int64_t>(head.size()); d < n; ++d) head.push_back(d);
  return head;
}

Shape concatShape(Shape a, const Shape &tail) {
  a.insert(a.end(), tail.begin(), tail.end());
  return a;
}

/// [K, O, Cg, *k] -> [O, K * Cg, *k] or [O * K, Cg, *k]: the K weight
/// tangents laid out so that one convolution handles all of them.
Node *weightBatchOK(JvpCtx &c, Node *dw, bool intoInChannels) {
  const Shape &ws = dw->type.shape; // [K, O, Cg, *k]
  int64_t r = static_cast<int64_t>(ws.size());
  Node *p = permute(c.b, dw, dimsAfter({1, 0}, r)); // [O, K, Cg, *k]
  Shape k(ws.begin() + 3, ws.end());
  Shape m = intoInChannels ? Shape{ws[1], c.K * ws[2]} : Shape{ws[1] * c.K, ws[2]};
  return c.b.reshape(p, concatShape(m, k));
}

/// y = conv(x, w, b): dy = conv(dx, w) + conv(x, dw) + db.
Node *convRule(JvpCtx &c) {
  GradBuilder &b = c.b;
  Node *x = c.x(0), *w = c.x(1), *y = c.y;
  AttrMap geo = convGeometryAttrs(y->attrs);
  int64_t r = x->type.rank();
  Node *res = nullptr;
  if (c.dx[0])
    res = c.splitBatch(b.op(y->op, {c.mergeBatch(c.dx[0], x->type.shape), w}, geo));
  if (c.dx[1]) {
    Node *term;
    if (!c.K) {
      term = b.op(y->op, {x, c.dx[1]}, geo);
    } else {
      // [N, O K, *o] -> [N, O, K, *o] -> [K, N, O, *o]
      Node *yk = b.op(y->op, {x, weightBatchOK(c, c.dx[1], false)}, geo);
      const Shape &ys = y->type.shape;
      Shape split = concatShape({ys[0], ys[1], c.K}, Shape(ys.begin() + 2, ys.end()));
      term = permute(b, b.reshape(yk, split), dimsAfter({2, 0, 1}, r + 1));
    }
    res = c.plus(res, term);
  }
  if (y->operands.size() == 3 && c.dx[2]) { // db [K?, O] as [K?, 1, O, 1, ...]
    Shape bs(static_cast<size_t>(r), 1);
    bs[1] = y->type.shape[1];
    res = c.plus(res, b.reshape(c.dx[2], c.lead(bs)));
  }
  return res;
}

/// y = _conv2d_input_backward(g, w), bilinear: dy = IB(dg, w) + IB(g, dw).
Node *convInputBackwardRule(JvpCtx &c) {
  GradBuilder &b = c.b;
  Node *g = c.x(0), *y = c.y;
  Node *res = nullptr;
  if (c.dx[0]) {
    AttrMap a = y->attrs;
    a["input_size"] = c.merged(y->type.shape);
    res = c.splitBatch(b.op(y->op, {c.mergeBatch(c.dx[0], g->type.shape), c.x(1)}, a));
  }
  if (c.dx[1]) {
    Node *term;
    if (!c.K) {
      term = b.op(y->op, {g, c.dx[1]}, y->attrs);
    } else {
      // Weight [O, K Cg, *k] with the same groups G: input channel
      // (G', K, Cg) holds direction k of channel G' Cg + c.
      const Shape &xs = y->type.shape; // [N, C, *sp]
      int64_t groups = getInt(y->attrs, "groups", 1), cg = xs[1] / groups;
      int64_t r = static_cast<int64_t>(xs.size());
      Shape sp(xs.begin() + 2, xs.end());
      AttrMap a = y->attrs;
      a["input_size"] = concatShape({xs[0], groups * c.K * cg}, sp);
      Node *yk = b.op(y->op, {g, weightBatchOK(c, c.dx[1], true)}, a);
      Node *split = b.reshape(yk, concatShape({xs[0], groups, c.K, cg}, sp));
      term = b.reshape(permute(b, split, dimsAfter({2, 0, 1}, r + 2)),
                       c.lead(xs));
    }
    res = c.plus(res, term);
  }
  return res;
}

/// y = _conv2d_weight_backward(g, x), bilinear: dy = WB(dg, x) + WB(g, dx).
Node *convWeightBackwardRule(JvpCtx &c) {
  GradBuilder &b = c.b;
  Node *g = c.x(0), *x = c.x(1), *y = c.y;
  const Shape &ws = y->type.shape; // [O, Cg, *k]
  int64_t r = static_cast<int64_t>(ws.size());
  Shape k(ws.begin() + 2, ws.end());
  Node *res = nullptr;
  if (c.dx[0]) {
    if (!c.K) {
      res = b.op(y->op, {c.dx[0], x}, y->attrs);
    } else {
      // dg [K, N, O, *o] -> [N, O K, *o]: output channel o K + k.
      const Shape &gs = g->type.shape;
      Node *gp = permute(b, c.dx[0], dimsAfter({1, 2, 0}, r + 1));
      Node *gm = b.reshape(gp, concatShape({gs[0], gs[1] * c.K}, Shape(gs.begin() + 2, gs.end())));
      AttrMap a = y->attrs;
      a["weight_size"] = concatShape({ws[0] * c.K, ws[1]}, k);
      Node *wk = b.reshape(b.op(y->op, {gm, x}, a), concatShape({ws[0], c.K, ws[1]}, k));
      res = permute(b, wk, dimsAfter({1, 0}, r + 1));
    }
  }
  if (c.dx[1]) {
    Node *term;
    if (!c.K) {
      term = b.op(y->op, {g, c.dx[1]}, y->attrs);
    } else {
      // K G groups: the input [N, K C, *sp] (direction-major) against the
      // gradient repeated K times, [N, K O, *o].
      const Shape &xs = x->type.shape, &gs = g->type.shape;
      int64_t rx = static_cast<int64_t>(xs.size());
      Node *xp = permute(b, c.dx[1], dimsAfter({1, 0}, rx + 1));
      Node *xm = b.reshape(xp, concatShape({xs[0], c.K * xs[1]}, Shape(xs.begin() + 2, xs.end())));
      Shape go(gs.begin() + 2, gs.end());
      Node *gk = b.expandTo(b.reshape(g, concatShape({gs[0], 1, gs[1]}, go)),
                            concatShape({gs[0], c.K, gs[1]}, go));
      Node *gm = b.reshape(gk, concatShape({gs[0], c.K * gs[1]}, go));
      AttrMap a = y->attrs;
      a["groups"] = getInt(y->attrs, "groups", 1) * c.K;
      a["weight_size"] = concatShape({c.K * ws[0], ws[1]}, k);
      term = b.reshape(b.op(y->op, {gm, xm}, a), c.lead(ws));
    }
    res = c.plus(res, term);
  }
  return res;
}

/// A pool (or pool backward) linear in operand 0: the same op on the
/// tangent with the batch merged into N; `sizeAttr` (input_size of the
/// backward helpers) follows the merged result shape.
Node *linearPoolRule(JvpCtx &c, bool hasInputSize) {
  Node *t = c.dx[0];
  if (!t) return nullptr;
  AttrMap a = c.y->attrs;
  if (hasInputSize) a["input_size"] = c.merged(c.y->type.shape);
  return c.splitBatch(c.b.op(c.y->op, {c.mergeBatch(t, c.x(0)->type.shape)}, a));
}

/// y = _max_pool2d_backward(g, x): linear in g, piecewise constant in x;
/// dy = the same scatter of dg (x repeated for each direction).
Node *maxPoolBackwardRule(JvpCtx &c) {
  Node *t = c.dx[0];
  if (!t) return nullptr;
  GradBuilder &b = c.b;
  Node *x = c.x(1);
  if (!c.K) return b.op(c.y->op, {t, x}, c.y->attrs);
  const Shape &xs = x->type.shape;
  Node *xk = b.expandTo(b.reshape(x, concatShape({1}, xs)), c.lead(xs));
  return c.splitBatch(b.op(c.y->op, {c.mergeBatch(t, c.x(0)->type.shape),
                                     b.reshape(xk, c.merged(xs))},
                           c.y->attrs));
}

/// layer_norm: y = xhat w + b, dy = J(dx) w + xhat dw + db with J the
/// Jacobian of xhat (passes/NormForms).
Node *layerNormRule(JvpCtx &c) {
  GradBuilder &b = c.b;
  Node *x = c.x(0), *y = c.y;
  std::vector<int64_t> dims = layerNormDims(x, y->attrs);
  NormStats st = normStats(b, x, dims, getFloat(y->attrs, "eps", 1e-5));
  bool hasW = y->operands.size() >= 2;
  Node *r = nullptr;
  if (c.dx[0]) {
    r = normJacobian(b, st, c.dx[0], c.shifted(dims));
    if (hasW) r = b.mul(r, c.x(1));
  }
  if (hasW && c.dx[1]) r = c.plus(r, b.mul(st.xhat, c.liftY(1)));
  if (y->operands.size() == 3 && c.dx[2]) r = c.plus(r, c.liftY(2));
  return r;
}

/// group_norm: layer_norm's rule over the rows [N, G, C / G * ...], with
/// the per-channel affine w[c], b[c].
Node *groupNormRule(JvpCtx &c) {
  GradBuilder &b = c.b;
  Node *x = c.x(0), *y = c.y;
  const Shape &xs = x->type.shape;
  Shape rows = groupRowsShape(xs, getInt(y->attrs, "num_groups", 1));
  NormStats st = normStats(b, b.reshape(x, rows), {2}, getFloat(y->attrs, "eps", 1e-5));
  Shape chan(xs.size(), 1); // [1, C, 1, ...]
  chan[1] = xs[1];
  bool hasW = y->operands.size() >= 2;
  Node *r = nullptr;
  if (c.dx[0]) {
    Node *j = normJacobian(b, st, b.reshape(c.dx[0], c.lead(rows)), {2 + c.s()});
    r = b.reshape(j, c.lead(xs));
    if (hasW) r = b.mul(r, b.reshape(c.x(1), chan));
  }
  if (hasW && c.dx[1])
    r = c.plus(r, b.mul(b.reshape(st.xhat, xs), b.reshape(c.dx[1], c.lead(chan))));
  if (y->operands.size() == 3 && c.dx[2])
    r = c.plus(r, b.reshape(c.dx[2], c.lead(chan)));
  return r;
}

/// The norms' backward helpers: forward mode through their user-op form
/// (passes/NormForms), one rule application per node of the form.
Node *throughNormForm(JvpCtx &c) {
  GradBuilder &b = c.b;
  Graph &g = b.graph();
  size_t before = g.nodes().size();
  Node *form = normHelperForm(b, c.y);
  std::vector<Node *> built;
  for (size_t i = before; i < g.nodes().size(); ++i) built.push_back(g.nodes()[i].get());
  std::unordered_map<Node *, Node *> tangent;
  for (size_t i = 0; i < c.dx.size(); ++i)
    if (c.dx[i]) tangent[c.x(i)] = c.dx[i];
  for (Node *n : built) {
    std::vector<Node *> dx;
    bool any = false;
    for (Node *o : n->operands) {
      auto it = tangent.find(o);
      dx.push_back(it == tangent.end() ? nullptr : it->second);
      any |= dx.back() != nullptr;
    }
    if (any)
      if (Node *t = buildJVP(b, n, dx, c.K)) tangent[n] = t;
  }
  auto it = tangent.find(form);
  return it == tangent.end() ? nullptr : it->second;
}

} // namespace

Node *nnJvp(JvpCtx &c) {
  // An if-chain rather than a switch: JvpRules.cpp's exhaustive switch
  // dispatches only the ops below here.
  OpKind k = c.y->op;
  if (k == OpKind::Conv1d || k == OpKind::Conv2d) return convRule(c);
  if (k == OpKind::Conv2dInputBackward) return convInputBackwardRule(c);
  if (k == OpKind::Conv2dWeightBackward) return convWeightBackwardRule(c);
  if (k == OpKind::AvgPool2d || k == OpKind::AdaptiveAvgPool2d)
    return linearPoolRule(c, false); // linear: dy = pool(dx)
  if (k == OpKind::AvgPool2dBackward || k == OpKind::AdaptiveAvgPool2dBackward)
    return linearPoolRule(c, true); // linear in g: dy = spread(dg)
  if (k == OpKind::MaxPool2d) // dy = dx at each window's first maximum
    return c.dx[0] ? maxPoolGather(c.b, c.x(0), c.y, c.dx[0], c.y->attrs, c.K) : nullptr;
  if (k == OpKind::MaxPool2dBackward) return maxPoolBackwardRule(c);
  if (k == OpKind::LayerNorm) return layerNormRule(c);
  if (k == OpKind::GroupNorm) return groupNormRule(c);
  if (k == OpKind::LayerNormBackward || k == OpKind::LayerNormXhat ||
      k == OpKind::GroupNormBackward || k == OpKind::GroupNormXhat)
    return throughNormForm(c);
  throw InternalError("forward mode", std::string("'") + c.y->info().name +
                                          "' reached the rules of the NN ops");
}

} // namespace gradc
