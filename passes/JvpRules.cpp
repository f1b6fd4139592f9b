//===- passes/JvpRules.cpp - Jacobian-vector product rules ----------------===//
//
// Notation in the comments: y is the node's result, a and b its operands,
// da and db their tangents, dy the tangent built. Broadcasting binary ops
// need no reduction (unlike their VJPs): a tangent broadcasts like its
// primal. With a batch of K directions every tangent has a leading K
// dimension; `lift` pads a tangent with 1s after K to the result's rank so
// that right-aligned broadcasting still pairs primal and tangent dims, and
// reductions and shape ops move their dims by `s` (1 when batched, else 0).
// This file holds the core ops and the dispatch; the activations and
// statistics are in JvpRulesMath.cpp, convolution, pooling and
// normalization in JvpRulesNN.cpp (the shared state: JvpContext.h).
//
//===----------------------------------------------------------------------===//
#include "passes/JvpRules.h"

#include "ir/Error.h"
#include "passes/DifferentiableForm.h"
#include "passes/JvpContext.h"

namespace gradc {
namespace {

using Ctx = JvpCtx;

bool isScalarConst(const Node *n, double v) {
  return n->op == OpKind::Constant && n->type.rank() == 0 &&
         getFloat(n->attrs, "value", v + 1) == v;
}


/// Pow: d a^e = da e a^(e-1) + de a^e log(a), with the exact zeros the VJP
/// uses (e == 0 gives 0 for the first term; a == 0, e >= 0 for the second).
Node *powRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *a = c.x(0), *e = c.x(1);
  Node *ta = c.liftY(0), *te = c.liftY(1), *r = nullptr;
  if (ta && !isScalarConst(e, 0)) {
    Node *f = b.mul(e, b.op(OpKind::Pow, {a, b.sub(e, c.one())}));
    bool nonZeroSplat = e->op == OpKind::Constant && !e->attrs.count("data") &&
                        getFloat(e->attrs, "value", 0) != 0;
    if (!nonZeroSplat) f = b.select(b.op(OpKind::Eq, {e, c.zero()}), c.zero(), f);
    r = b.mul(ta, f);
  }
  if (te) {
    Node *f = b.mul(c.y, b.op(OpKind::Log, {a}));
    Node *aZero = b.op(OpKind::Eq, {a, c.zero()});
    Node *eNonNeg = b.op(OpKind::Ge, {e, c.zero()});
    f = b.select(b.logicalAnd(aZero, eNonNeg), c.zero(), f);
    r = c.plus(r, b.mul(te, f));
  }
  return r;
}

/// maximum/minimum: the transpose of the VJP. Weights h = 1/2 on ties,
/// else 1, and 0 for the operand that loses: dy = da wa + db wb.
Node *extremum2Rule(Ctx &c, bool isMax) {
  GradBuilder &b = c.b;
  Node *a = c.x(0), *bb = c.x(1);
  Node *ta = c.liftY(0), *tb = c.liftY(1);
  OpKind lose = isMax ? OpKind::Lt : OpKind::Gt;
  Node *h = b.select(b.op(OpKind::Eq, {a, bb}), b.scalar(0.5, c.dt()), c.one());
  Node *r = nullptr;
  if (ta) r = b.mul(ta, b.select(b.op(lose, {a, bb}), c.zero(), h));
  if (tb) r = c.plus(r, b.mul(tb, b.select(b.op(lose, {bb, a}), c.zero(), h)));
  return r;
}

/// max/min, the transposes of the three VJP forms (passes/AutodiffRules):
/// one dim: dy = sum(da where argmax mask, dim); no dim: dy = sum(da w)
/// with w = mask / count(mask) over the reduced slice.
Node *extremumRule(Ctx &c, const std::vector<int64_t> &dims, Node *t) {
  GradBuilder &b = c.b;
  Node *x = c.x(0);
  bool isMax = c.y->op == OpKind::Max;
  bool keep = getBool(c.y->attrs, "keepdim", false);
  bool hasDim = c.y->attrs.count("dim") > 0;
  if (hasDim && x->type.rank() == 0) return t; // identity
  if (hasDim && dims.size() == 1) {
    Node *mask = b.op(isMax ? OpKind::ArgmaxMask : OpKind::ArgminMask, {x},
                      {{"dim", dims[0]}});
    return c.sumOver(b.select(mask, t, c.zero()), c.shifted(dims), keep);
  }
  Node *yFull = b.unreduce(c.y, dims, keep, x->type.shape);
  Node *mask = b.op(OpKind::Eq, {x, yFull});
  bool evenly = !hasDim && !keep;
  if (evenly) {
    Node *nanX = b.op(OpKind::Ne, {x, x}), *nanY = b.op(OpKind::Ne, {yFull, yFull});
    mask = b.logicalOr(mask, b.logicalAnd(nanX, nanY));
  }
  Node *ones = b.select(mask, c.one(), c.zero());
  Node *count = b.op(OpKind::Sum, {ones}, {{"dim", dims}, {"keepdim", true}});
  Node *w = b.div(ones, b.expandTo(count, x->type.shape));
  if (evenly) w = b.select(mask, w, c.zero());
  return c.sumOver(b.mul(t, w), c.shifted(dims), keep);
}

/// sum and mean: d sum(x) = sum(dx); d mean(x) = sum(dx) / N.
Node *sumRule(Ctx &c, bool mean) {
  Node *t = c.dx[0];
  if (!t) return nullptr;
  std::vector<int64_t> dims = jvpReducedDims(c.y);
  bool keep = getBool(c.y->attrs, "keepdim", false);
  Node *r = c.sumOver(t, c.shifted(dims), keep);
  if (!mean) return r;
  int64_t n = 1;
  for (int64_t d : dims) n *= c.x(0)->type.shape[d];
  return c.b.div(r, c.b.scalar(static_cast<double>(n), c.dt()));
}

Node *maxMinRule(Ctx &c) {
  if (!c.dx[0]) return nullptr;
  return extremumRule(c, jvpReducedDims(c.y), c.dx[0]);
}

/// transpose: dy = transpose(dx), dims moved past the batch dim.
Node *transposeRule(Ctx &c) {
  Node *t = c.dx[0];
  if (!t) return nullptr;
  int64_t r = c.x(0)->type.rank();
  int64_t d0 = normalizeDim(getInt(c.y->attrs, "dim0", 0), r) + c.s();
  int64_t d1 = normalizeDim(getInt(c.y->attrs, "dim1", 0), r) + c.s();
  return c.b.op(OpKind::Transpose, {t}, {{"dim0", d0}, {"dim1", d1}});
}

/// permute: dy = permute(dx), the batch dim staying first.
Node *permuteRule(Ctx &c) {
  Node *t = c.dx[0];
  if (!t) return nullptr;
  int64_t r = c.x(0)->type.rank();
  std::vector<int64_t> p = getInts(c.y->attrs, "dims", {}), q;
  if (c.s()) q.push_back(0);
  for (int64_t d : p) q.push_back(normalizeDim(d, r) + c.s());
  return c.b.op(OpKind::Permute, {t}, {{"dims", q}});
}

/// slice: dy = the same slice of dx.
Node *sliceRule(Ctx &c) {
  Node *t = c.dx[0];
  if (!t) return nullptr;
  AttrMap at = c.y->attrs;
  at["dim"] = getInt(c.y->attrs, "dim", 0) + c.s();
  return c.b.op(OpKind::Slice, {t}, at);
}

// --- Indexing ---------------------------------------------------------
// Each op is linear in its float operand x (indices are data, not
// variables), so its tangent is the op applied to dx:
//   embedding:      dy[p, :] = dw[idx[p], :]
//   index_select:   dy = index_select(dx, dim, index)
//   gather:         dy = gather(dx, dim, index)
//   select:         dy = select(dx, dim, index)
//   the backward scatter-adds: dy = scatter-add of dg at the same places.
// With a batch of K directions the tangent has a leading K dim: dims move
// by s, an input_size gains K in front, and gather's index is broadcast
// over K (gather wants an index of the input's rank).

/// embedding: index_select of dw's rows (dim s) by the flattened index,
/// reshaped to [K?, *idx.shape, D].
Node *embeddingRule(Ctx &c) {
  Node *dw = c.dx[1];
  if (!dw) return nullptr;
  Node *idx = c.x(0);
  Node *flat = c.b.reshape(idx, {idx->type.numel()});
  Node *rows = c.b.op(OpKind::IndexSelect, {dw, flat}, {{"dim", c.s()}});
  Node *dy = c.b.reshape(rows, c.lead(c.y->type.shape));
  if (!c.y->attrs.count("padding_idx")) return dy;
  // The row padding_idx is a constant as far as the VJP goes (it gets no
  // gradient); its tangent is 0 too, so both modes give one Jacobian.
  Shape col = idx->type.shape;
  col.push_back(1);
  Node *pad = c.b.scalar(static_cast<double>(getInt(c.y->attrs, "padding_idx", 0)),
                         idx->type.dtype);
  Node *keep = c.b.op(OpKind::Ne, {c.b.reshape(idx, col), pad});
  return c.b.op(OpKind::Where, {keep, dy, c.zero()});
}

/// index_select, gather, select and the two scatter-adds: the same op on
/// the tangent of operand 0.
Node *indexingRule(Ctx &c) {
  Node *t = c.dx[0];
  if (!t) return nullptr;
  AttrMap at = c.y->attrs;
  at["dim"] = getInt(c.y->attrs, "dim", 0) + c.s();
  if (at.count("input_size"))
    at["input_size"] = c.lead(getInts(c.y->attrs, "input_size", {}));
  if (c.y->op == OpKind::Select) return c.b.op(OpKind::Select, {t}, at);
  Node *index = c.x(1);
  bool gatherLike = c.y->op == OpKind::Gather || c.y->op == OpKind::GatherBackward;
  if (gatherLike && c.K) {
    Shape one = index->type.shape;
    one.insert(one.begin(), 1);
    index = c.b.expandTo(c.b.reshape(index, one), c.lead(index->type.shape));
  }
  return c.b.op(c.y->op, {t, index}, at);
}

/// concat: dy = concat(dx_i), zeros for operands without a tangent.
Node *concatRule(Ctx &c) {
  bool any = false;
  for (Node *d : c.dx) any |= d != nullptr;
  if (!any) return nullptr;
  std::vector<Node *> parts;
  for (size_t i = 0; i < c.dx.size(); ++i)
    parts.push_back(c.dx[i] ? c.dx[i]
                            : c.b.full(0, {c.dt(), c.lead(c.x(i)->type.shape)}));
  return c.b.op(OpKind::Concat, parts,
                {{"dim", getInt(c.y->attrs, "dim", 0) + c.s()}});
}

/// The matrix form of a matmul operand: a vector a is [1, K], a vector b
/// is [K, 1].
Shape matrixShape(const Shape &s, bool left) {
  if (s.size() != 1) return s;
  return left ? Shape{1, s[0]} : Shape{s[0], 1};
}

/// A product term op(l) op(r) where one factor is a tangent: operands are
/// brought to matrix form, the tangent gets its batch dim and enough 1s to
/// broadcast against the other's batch dims, and the result is reshaped to
/// y's tangent shape.
Node *productTerm(Ctx &c, Node *l, Node *r, bool tanLeft, OpKind k) {
  GradBuilder &b = c.b;
  Node *prim = tanLeft ? c.x(0) : c.x(1);
  Node *other = tanLeft ? c.x(1) : c.x(0);
  Shape ps = matrixShape(prim->type.shape, tanLeft);
  Shape os = matrixShape(other->type.shape, !tanLeft);
  size_t rank = std::max(ps.size(), os.size());
  Shape ts = ps;
  if (c.K) {
    ts.insert(ts.begin(), rank - ps.size(), 1);
    ts.insert(ts.begin(), c.K);
  }
  Node *tm = b.reshape(tanLeft ? l : r, ts);
  Node *om = b.reshape(other, os);
  AttrMap at = k == OpKind::Gemm ? c.y->attrs : AttrMap{};
  Node *p = tanLeft ? b.op(k, {tm, om}, at) : b.op(k, {om, tm}, at);
  return b.reshape(p, c.lead(c.y->type.shape));
}

/// d(a @ b) = da @ b + a @ db (also for _gemm, with its transpose flags).
Node *productRule(Ctx &c, OpKind k) {
  Node *r = nullptr;
  if (c.dx[0]) r = productTerm(c, c.dx[0], nullptr, true, k);
  if (c.dx[1]) r = c.plus(r, productTerm(c, nullptr, c.dx[1], false, k));
  return r;
}

/// softmax: dy = y (dx - sum(y dx, dim)); log_softmax: dy = dx -
/// sum(exp(y) dx, dim).
Node *softmaxRule(Ctx &c, bool log) {
  Node *t = c.dx[0];
  if (!t) return nullptr;
  GradBuilder &b = c.b;
  int64_t d = getInt(c.y->attrs, "dim", 0) + c.s();
  if (log) return b.sub(t, c.sumOver(b.mul(b.op(OpKind::Exp, {c.y}), t), {d}, true));
  return b.mul(c.y, b.sub(t, c.sumOver(b.mul(c.y, t), {d}, true)));
}

/// cross_entropy: dy = sum_j (softmax(x) - onehot(t))_ij s_i dx_ij over
/// the classes (none) or over everything (mean, sum), s as in the VJP
/// with g = 1.
Node *crossEntropyRule(Ctx &c) {
  Node *t = c.dx[0];
  if (!t) return nullptr;
  Node *x = c.x(0), *y = c.y;
  Node *w = crossEntropyGradWeights(c.b, c.b.full(1, y->type), x, c.x(1), y->attrs);
  std::string red = getString(y->attrs, "reduction", "mean");
  std::vector<int64_t> dims = red == "none"
                                  ? std::vector<int64_t>{x->type.rank() - 1 + c.s()}
                                  : c.allDims(x->type.rank());
  return c.sumOver(c.b.mul(t, w), dims, false);
}

/// mse_loss: d (a - b)^2 = 2 (a - b) (da - db), summed (sum), / N (mean).
Node *mseRule(Ctx &c) {
  GradBuilder &b = c.b;
  int64_t rank = std::max(c.x(0)->type.rank(), c.x(1)->type.rank());
  Node *ta = c.lift(0, rank), *tb = c.lift(1, rank);
  if (!ta && !tb) return nullptr;
  Node *diff = b.sub(c.x(0), c.x(1));
  Node *td = tb ? (ta ? b.sub(ta, tb) : b.neg(tb)) : ta;
  td = b.expandTo(td, c.lead(diff->type.shape));
  Node *v = b.mul(b.mulScalar(diff, 2), td);
  std::string red = getString(c.y->attrs, "reduction", "mean");
  if (red == "none") return v;
  Node *sm = c.sumOver(v, c.allDims(diff->type.rank()), false);
  if (red == "sum") return sm;
  return b.div(sm, b.scalar(static_cast<double>(diff->type.numel()), c.dt()));
}

/// _slice_backward is linear in g: the same scatter of dg.
Node *sliceBackwardRule(Ctx &c) {
  Node *t = c.dx[0];
  if (!t) return nullptr;
  AttrMap at = c.y->attrs;
  at["shape"] = c.lead(c.y->type.shape);
  at["dim"] = getInt(c.y->attrs, "dim", 0) + c.s();
  return c.b.op(OpKind::SliceBackward, {t}, at);
}

/// _cross_entropy_backward(g, x, t) = (p - onehot) s(g), p = softmax(x):
/// linear in g, and dy/dx . dx = s p (dx - sum(p dx, classes)), the
/// softmax Jacobian.
Node *crossEntropyBackwardRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *g = c.x(0), *x = c.x(1), *tgt = c.x(2);
  Node *r = nullptr;
  if (c.dx[1]) {
    CrossEntropyParts parts = crossEntropyParts(b, g, x, tgt, c.y->attrs);
    Node *t = c.dx[1];
    int64_t classDim = x->type.rank() - 1 + c.s();
    Node *inner = b.sub(t, c.sumOver(b.mul(parts.p, t), {classDim}, true));
    r = b.mul(b.mul(parts.rowScale, parts.p), inner);
  }
  if (c.dx[0]) {
    Node *w = crossEntropyGradWeights(b, b.full(1, g->type), x, tgt, c.y->attrs);
    Shape gs = c.lead(g->type.shape);
    gs.insert(gs.end(), x->type.rank() - g->type.rank(), 1);
    r = c.plus(r, b.mul(b.reshape(c.dx[0], gs), w));
  }
  return r;
}

/// One rule per op: a switch without default, so a new op is a compile
/// error here until it has its forward-mode rule.
Node *rule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *y = c.y;
  Node *a = y->operands.empty() ? nullptr : c.x(0);
  Node *t = c.dx.empty() ? nullptr : c.dx[0];
  switch (y->op) {
  case OpKind::Input:
  case OpKind::Constant:
  case OpKind::Seed: // leaves: inputs get their tangents from the pass
    return nullptr;
  // Elementwise unary.
  case OpKind::Neg: return t ? b.neg(t) : t;              // d(-a) = -da
  case OpKind::Exp: return t ? b.mul(t, y) : t;           // d exp(a) = da y
  case OpKind::Log: return t ? b.div(t, a) : t;           // d log(a) = da / a
  case OpKind::Sqrt:                                      // da / (2 y)
    return t ? b.div(t, b.mulScalar(y, 2)) : t;
  case OpKind::Abs:                                       // da sign(a)
    return t ? b.mul(t, b.op(OpKind::Sign, {a})) : t;
  case OpKind::Sin:                                       // da cos(a)
    return t ? b.mul(t, b.op(OpKind::Cos, {a})) : t;
  case OpKind::Cos:                                       // -da sin(a)
    return t ? b.neg(b.mul(t, b.op(OpKind::Sin, {a}))) : t;
  case OpKind::Tanh:                                      // da (1 - y^2)
    return t ? b.mul(t, b.sub(c.one(), b.mul(y, y))) : t;
  case OpKind::Sigmoid:                                   // da (1 - y) y
    return t ? b.mul(t, b.mul(b.sub(c.one(), y), y)) : t;
  case OpKind::Relu: // da where y > 0 (a NaN y passes da on, as the VJP)
    return t ? b.select(b.op(OpKind::Le, {y, c.zero()}), c.zero(), t) : t;
  case OpKind::Sign:   // piecewise constant: 0
  case OpKind::Detach: // no gradient flows through detach: 0
    return nullptr;
  // Elementwise binary; tangents broadcast like their primals.
  case OpKind::Add: return c.plus(c.liftY(0), c.liftY(1)); // da + db
  case OpKind::Sub: {                                       // da - db
    Node *ta = c.liftY(0), *tb = c.liftY(1);
    return tb ? (ta ? b.sub(ta, tb) : b.neg(tb)) : ta;
  }
  case OpKind::Mul: {                                       // da b + a db
    Node *ta = c.liftY(0), *tb = c.liftY(1);
    return c.plus(ta ? b.mul(ta, c.x(1)) : nullptr, tb ? b.mul(a, tb) : nullptr);
  }
  case OpKind::Div: {                                       // da / b - db a / b^2
    Node *ta = c.liftY(0), *tb = c.liftY(1), *bb = c.x(1);
    return c.plus(ta ? b.div(ta, bb) : nullptr,
                  tb ? b.div(b.mul(b.neg(tb), a), b.mul(bb, bb)) : nullptr);
  }
  case OpKind::Pow: return powRule(c);
  case OpKind::Maximum: return extremum2Rule(c, true);
  case OpKind::Minimum: return extremum2Rule(c, false);
  // Comparisons: piecewise constant, bool results.
  case OpKind::Lt:
  case OpKind::Le:
  case OpKind::Gt:
  case OpKind::Ge:
  case OpKind::Eq:
  case OpKind::Ne:
    return nullptr;
  case OpKind::Where: { // d where(m, a, b) = where(m, da, db)
    Node *ta = c.liftY(1), *tb = c.liftY(2);
    if (!ta && !tb) return nullptr;
    return b.select(a, ta ? ta : c.zero(), tb ? tb : c.zero());
  }
  // Reductions.
  case OpKind::Sum: return sumRule(c, false);
  case OpKind::Mean: return sumRule(c, true);
  case OpKind::Max:
  case OpKind::Min:
    return maxMinRule(c);
  // Shape ops: the same linear map on the tangent.
  case OpKind::Reshape:
  case OpKind::Squeeze:
  case OpKind::Unsqueeze: // views: the same reshape of dx
    return t ? b.reshape(t, c.lead(y->type.shape)) : t;
  case OpKind::Expand: // dy = expand(dx)
    return t ? b.expandTo(c.liftY(0), c.lead(y->type.shape)) : t;
  case OpKind::Transpose: return transposeRule(c);
  case OpKind::Permute: return permuteRule(c);
  case OpKind::Concat: return concatRule(c);
  case OpKind::Slice: return sliceRule(c);
  // Linear algebra and losses.
  case OpKind::Matmul: return productRule(c, OpKind::Matmul); // da b + a db
  case OpKind::Softmax: return softmaxRule(c, false);
  case OpKind::LogSoftmax: return softmaxRule(c, true);
  case OpKind::CrossEntropy: return crossEntropyRule(c);
  case OpKind::MseLoss: return mseRule(c);
  case OpKind::Grad:
    throw Error("internal error: a grad node reached forward mode before "
                "the expand-grad pass");
  // Internal helpers of the backward pass.
  case OpKind::ArgmaxMask:
  case OpKind::ArgminMask: // bool masks: piecewise constant
  case OpKind::Argmax:
  case OpKind::Argmin: // integer indices: no tangent
    return nullptr;
  case OpKind::SliceBackward: return sliceBackwardRule(c);
  case OpKind::CrossEntropyBackward: return crossEntropyBackwardRule(c);
  case OpKind::Gemm: return productRule(c, OpKind::Gemm); // da b + a db
  // Ops of issue 13's losses and dropout (the composite losses and
  // batch_norm are primitives by then and need no rule of their own).
  case OpKind::NllLoss: {
    // Linear in the input: dy = sum over classes (per row for none, over
    // everything otherwise) of J dx, with J = _nll_loss_backward(ones).
    if (!t) return t;
    std::vector<Node *> ops = {b.full(1, y->type), a, c.x(1)};
    if (y->operands.size() > 2) ops.push_back(c.x(2));
    Node *j = b.op(OpKind::NllLossBackward, ops, y->attrs);
    int64_t r = a->type.rank();
    std::vector<int64_t> dims =
        getString(y->attrs, "reduction", "mean") == "none"
            ? std::vector<int64_t>{(r == 1 ? 0 : 1) + c.s()}
            : c.allDims(r);
    return c.sumOver(b.mul(t, j), dims, false);
  }
  case OpKind::NllLossBackward: {
    // Linear in g: d = J dg, J = _nll_loss_backward(ones); dg gets the
    // class dim back (size 1) so it broadcasts over the classes.
    if (!t) return t;
    Node *x = c.x(1);
    std::vector<Node *> ops = {b.full(1, a->type), x, c.x(2)};
    if (y->operands.size() > 3) ops.push_back(c.x(3));
    Node *j = b.op(OpKind::NllLossBackward, ops, y->attrs);
    Node *dg = t;
    if (a->type.rank() > 0) { // none on [N, C, d...]: [K?, N, 1, d...]
      Shape s = c.lead(a->type.shape);
      s.insert(s.begin() + 1 + c.s(), 1);
      dg = b.reshape(t, s);
    } else {
      dg = c.lift(0, x->type.rank());
    }
    return b.mul(dg, j);
  }
  case OpKind::Dropout: {
    // y = x m / (1 - p), linear in x with the mask fixed by (seed, index):
    // dy = dx m / (1 - p). The scaled mask is dropout of ones of x's shape,
    // so tangents with leading (batch) dims share one mask, as they must.
    if (!t) return t;
    std::vector<Node *> ops = {b.full(1, a->type)};
    if (y->operands.size() > 1) ops.push_back(c.x(1));
    return b.mul(c.liftY(0), b.op(OpKind::Dropout, ops, y->attrs));
  }
  // Indexing: linear in the float operand, so each tangent is the same op
  // on the tangent (indices have none).
  case OpKind::Embedding: return embeddingRule(c);
  case OpKind::IndexSelect:
  case OpKind::Gather:
  case OpKind::Select:
  case OpKind::IndexSelectBackward:
  case OpKind::GatherBackward: return indexingRule(c);
  case OpKind::OneHot: return nullptr; // integer result: no tangent
  case OpKind::Arange:
  case OpKind::Full:
  case OpKind::ZerosLike:
  case OpKind::OnesLike: return nullptr; // constants: no tangent
  // Activations, elementwise math, statistics, masks (JvpRulesMath.cpp).
  case OpKind::Gelu:
  case OpKind::Silu:
  case OpKind::LeakyRelu:
  case OpKind::Elu:
  case OpKind::Softplus:
  case OpKind::Erf:
  case OpKind::Log1p:
  case OpKind::Expm1:
  case OpKind::Rsqrt:
  case OpKind::Reciprocal:
  case OpKind::Clamp:
  case OpKind::Hardtanh:
  case OpKind::MaskedFill:
  case OpKind::Logsumexp:
  case OpKind::Var:
  case OpKind::Std:
  case OpKind::Norm:
  case OpKind::Cumsum:
  case OpKind::Triu:
  case OpKind::Tril:
    return mathJvp(c);
  // Convolution, pooling, normalization and their backward helpers
  // (JvpRulesNN.cpp).
  case OpKind::Conv2d:
  case OpKind::Conv1d:
  case OpKind::MaxPool2d:
  case OpKind::AvgPool2d:
  case OpKind::AdaptiveAvgPool2d:
  case OpKind::LayerNorm:
  case OpKind::GroupNorm:
  case OpKind::Conv2dInputBackward:
  case OpKind::Conv2dWeightBackward:
  case OpKind::MaxPool2dBackward:
  case OpKind::AvgPool2dBackward:
  case OpKind::AdaptiveAvgPool2dBackward:
  case OpKind::LayerNormBackward:
  case OpKind::LayerNormXhat:
  case OpKind::GroupNormBackward:
  case OpKind::GroupNormXhat:
    return nnJvp(c);
  }
  return nullptr;
}

} // namespace

std::vector<int64_t> jvpReducedDims(const Node *y) {
  int64_t r = y->operands[0]->type.rank();
  std::vector<int64_t> all;
  for (int64_t i = 0; i < r; ++i) all.push_back(i);
  if (r == 0) return all; // a scalar: nothing to fold
  std::vector<int64_t> d = getInts(y->attrs, "dim", all);
  for (int64_t &v : d) v = normalizeDim(v, r);
  return d;
}

Node *buildJVP(GradBuilder &b, Node *y, const std::vector<Node *> &dx,
               int64_t batch) {
  JvpCtx c{b, y, dx, batch};
  Node *r = rule(c);
  if (r && r->type.dtype != y->type.dtype)
    throw Error(std::string("internal error: the tangent of '") +
                y->info().name + "' has the wrong dtype");
  return c.fit(r);
}

} // namespace gradc
