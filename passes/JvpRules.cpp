//===- passes/JvpRules.cpp - Jacobian-vector product rules ----------------===//
//
// Notation in the comments: y is the node's result, a and b its operands,
// da and db their tangents, dy the tangent built. Broadcasting binary ops
// need no reduction (unlike their VJPs): a tangent broadcasts like its
// primal. With a batch of K directions every tangent has a leading K
// dimension; `lift` pads a tangent with 1s after K to the result's rank so
// that right-aligned broadcasting still pairs primal and tangent dims, and
// reductions and shape ops move their dims by `s` (1 when batched, else 0).
//
//===----------------------------------------------------------------------===//
#include "passes/JvpRules.h"

#include "ir/Error.h"
#include "passes/DifferentiableForm.h"

namespace gradc {
namespace {

struct Ctx {
  GradBuilder &b;
  Node *y;
  const std::vector<Node *> &dx;
  int64_t K;

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
  /// Operand i's tangent, padded to `rank` primal dims (nullptr if zero).
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
  /// a + b where either may be a zero (nullptr).
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
};

bool isScalarConst(const Node *n, double v) {
  return n->op == OpKind::Constant && n->type.rank() == 0 &&
         getFloat(n->attrs, "value", v + 1) == v;
}

std::vector<int64_t> reducedDims(const Node *y) {
  std::vector<int64_t> all;
  for (int64_t i = 0; i < y->operands[0]->type.rank(); ++i) all.push_back(i);
  return getInts(y->attrs, "dim", all);
}

Node *unaryRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *a = c.x(0), *y = c.y, *t = c.dx[0];
  if (!t) return nullptr;
  switch (y->op) {
  case OpKind::Neg: return b.neg(t);                      // d(-a) = -da
  case OpKind::Exp: return b.mul(t, y);                   // d exp(a) = da y
  case OpKind::Log: return b.div(t, a);                   // d log(a) = da / a
  case OpKind::Sqrt: return b.div(t, b.mulScalar(y, 2));  // da / (2 y)
  case OpKind::Abs: return b.mul(t, b.op(OpKind::Sign, {a})); // da sign(a)
  case OpKind::Sin: return b.mul(t, b.op(OpKind::Cos, {a}));  // da cos(a)
  case OpKind::Cos:                                       // -da sin(a)
    return b.neg(b.mul(t, b.op(OpKind::Sin, {a})));
  case OpKind::Tanh:                                      // da (1 - y^2)
    return b.mul(t, b.sub(c.one(), b.mul(y, y)));
  case OpKind::Sigmoid:                                   // da (1 - y) y
    return b.mul(t, b.mul(b.sub(c.one(), y), y));
  case OpKind::Relu: // da where y > 0 (a NaN y passes da on, as the VJP)
    return b.select(b.op(OpKind::Le, {y, c.zero()}), c.zero(), t);
  case OpKind::Sign:   // piecewise constant: 0
  case OpKind::Detach: // no gradient flows through detach: 0
    return nullptr;
  default:
    break; // not reached: the caller dispatches unary ops only
  }
  return nullptr;
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

Node *binaryRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *a = c.x(0), *bb = c.x(1);
  Node *ta = c.liftY(0), *tb = c.liftY(1);
  switch (c.y->op) {
  case OpKind::Add: return c.plus(ta, tb);           // d(a + b) = da + db
  case OpKind::Sub:                                   // d(a - b) = da - db
    return tb ? (ta ? b.sub(ta, tb) : b.neg(tb)) : ta;
  case OpKind::Mul:                                   // da b + a db
    return c.plus(ta ? b.mul(ta, bb) : nullptr, tb ? b.mul(a, tb) : nullptr);
  case OpKind::Div:                                   // da / b - db a / b^2
    return c.plus(ta ? b.div(ta, bb) : nullptr,
                  tb ? b.div(b.mul(b.neg(tb), a), b.mul(bb, bb)) : nullptr);
  case OpKind::Pow:
    return powRule(c);
  case OpKind::Maximum:
  case OpKind::Minimum: {
    // The transpose of the VJP: weights h = 1/2 on ties, else 1, and 0 for
    // the operand that loses: dy = da wa + db wb.
    bool isMax = c.y->op == OpKind::Maximum;
    OpKind lose = isMax ? OpKind::Lt : OpKind::Gt;
    Node *h = b.select(b.op(OpKind::Eq, {a, bb}), b.scalar(0.5, c.dt()), c.one());
    Node *r = nullptr;
    if (ta) r = b.mul(ta, b.select(b.op(lose, {a, bb}), c.zero(), h));
    if (tb) r = c.plus(r, b.mul(tb, b.select(b.op(lose, {bb, a}), c.zero(), h)));
    return r;
  }
  default:
    break; // not reached: the caller dispatches binary ops only
  }
  return nullptr;
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

Node *reduceRule(Ctx &c) {
  Node *t = c.dx[0];
  if (!t) return nullptr;
  std::vector<int64_t> dims = reducedDims(c.y);
  bool keep = getBool(c.y->attrs, "keepdim", false);
  switch (c.y->op) {
  case OpKind::Sum: // d sum(x) = sum(dx)
    return c.sumOver(t, c.shifted(dims), keep);
  case OpKind::Mean: { // d mean(x) = sum(dx) / N
    int64_t n = 1;
    for (int64_t d : dims) n *= c.x(0)->type.shape[d];
    return c.b.div(c.sumOver(t, c.shifted(dims), keep),
                   c.b.scalar(static_cast<double>(n), c.dt()));
  }
  case OpKind::Max:
  case OpKind::Min:
    return extremumRule(c, dims, t);
  default:
    break; // not reached
  }
  return nullptr;
}

Node *shapeRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *y = c.y, *t = c.dx.empty() ? nullptr : c.dx[0];
  int64_t r = c.x(0)->type.rank(), s = c.s();
  switch (y->op) {
  case OpKind::Reshape:
  case OpKind::Squeeze:
  case OpKind::Unsqueeze: // linear views: the same reshape of dx
    return t ? b.reshape(t, c.lead(y->type.shape)) : nullptr;
  case OpKind::Expand: // dy = expand(dx)
    return t ? b.expandTo(c.liftY(0), c.lead(y->type.shape)) : nullptr;
  case OpKind::Transpose: { // dy = transpose(dx)
    if (!t) return nullptr;
    int64_t d0 = normalizeDim(getInt(y->attrs, "dim0", 0), r) + s;
    int64_t d1 = normalizeDim(getInt(y->attrs, "dim1", 0), r) + s;
    return b.op(OpKind::Transpose, {t}, {{"dim0", d0}, {"dim1", d1}});
  }
  case OpKind::Permute: { // dy = permute(dx), the batch dim staying first
    if (!t) return nullptr;
    std::vector<int64_t> p = getInts(y->attrs, "dims", {}), q;
    if (s) q.push_back(0);
    for (int64_t d : p) q.push_back(normalizeDim(d, r) + s);
    return b.op(OpKind::Permute, {t}, {{"dims", q}});
  }
  case OpKind::Slice: { // dy = the same slice of dx
    if (!t) return nullptr;
    AttrMap at = y->attrs;
    at["dim"] = getInt(y->attrs, "dim", 0) + s;
    return b.op(OpKind::Slice, {t}, at);
  }
  case OpKind::Concat: { // dy = concat(dx_i), zeros for constant operands
    bool any = false;
    for (Node *d : c.dx) any |= d != nullptr;
    if (!any) return nullptr;
    std::vector<Node *> parts;
    for (size_t i = 0; i < c.dx.size(); ++i)
      parts.push_back(c.dx[i] ? c.dx[i]
                              : b.full(0, {c.dt(), c.lead(c.x(i)->type.shape)}));
    return b.op(OpKind::Concat, parts,
                {{"dim", getInt(y->attrs, "dim", 0) + s}});
  }
  default:
    break; // not reached
  }
  return nullptr;
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

Node *specialRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *y = c.y;
  int64_t s = c.s();
  switch (y->op) {
  case OpKind::Matmul:
    return productRule(c, OpKind::Matmul);
  case OpKind::Gemm:
    return productRule(c, OpKind::Gemm);
  case OpKind::Softmax: { // dy = y (dx - sum(y dx, dim))
    Node *t = c.dx[0];
    if (!t) return nullptr;
    int64_t d = getInt(y->attrs, "dim", 0) + s;
    Node *sm = c.sumOver(b.mul(y, t), {d}, true);
    return b.mul(y, b.sub(t, sm));
  }
  case OpKind::LogSoftmax: { // dy = dx - sum(exp(y) dx, dim)
    Node *t = c.dx[0];
    if (!t) return nullptr;
    int64_t d = getInt(y->attrs, "dim", 0) + s;
    return b.sub(t, c.sumOver(b.mul(b.op(OpKind::Exp, {y}), t), {d}, true));
  }
  case OpKind::CrossEntropy: {
    // dy = sum_j (softmax(x) - onehot(t))_ij s_i dx_ij over the classes
    // (none), or over everything (mean, sum); s as in the VJP with g = 1.
    Node *t = c.dx[0];
    if (!t) return nullptr;
    Node *x = c.x(0);
    Node *w = crossEntropyGradWeights(b, b.full(1, y->type), x, c.x(1), y->attrs);
    std::string red = getString(y->attrs, "reduction", "mean");
    std::vector<int64_t> dims = red == "none"
                                    ? std::vector<int64_t>{x->type.rank() - 1 + s}
                                    : c.allDims(x->type.rank());
    return c.sumOver(b.mul(t, w), dims, false);
  }
  case OpKind::MseLoss: {
    // d (a - b)^2 = 2 (a - b) (da - db), summed (sum), / N (mean).
    Node *ta = c.lift(0, std::max(c.x(0)->type.rank(), c.x(1)->type.rank()));
    Node *tb = c.lift(1, std::max(c.x(0)->type.rank(), c.x(1)->type.rank()));
    if (!ta && !tb) return nullptr;
    Node *diff = b.sub(c.x(0), c.x(1));
    Node *td = tb ? (ta ? b.sub(ta, tb) : b.neg(tb)) : ta;
    td = b.expandTo(td, c.lead(diff->type.shape));
    Node *v = b.mul(b.mulScalar(diff, 2), td);
    std::string red = getString(y->attrs, "reduction", "mean");
    if (red == "none") return v;
    Node *sm = c.sumOver(v, c.allDims(diff->type.rank()), false);
    if (red == "sum") return sm;
    return b.div(sm, b.scalar(static_cast<double>(diff->type.numel()), c.dt()));
  }
  case OpKind::ArgmaxMask:
  case OpKind::ArgminMask: // bool masks: piecewise constant
    return nullptr;
  case OpKind::SliceBackward: { // linear in g: the same scatter of dg
    Node *t = c.dx[0];
    if (!t) return nullptr;
    AttrMap at = y->attrs;
    at["shape"] = c.lead(y->type.shape);
    at["dim"] = getInt(y->attrs, "dim", 0) + s;
    return b.op(OpKind::SliceBackward, {t}, at);
  }
  case OpKind::CrossEntropyBackward: {
    // y = (p - onehot) s(g), p = softmax(x): linear in g, and
    // dy/dx . dx = s p (dx - sum(p dx, classes)), the softmax Jacobian.
    Node *g = c.x(0), *x = c.x(1), *tgt = c.x(2);
    Node *r = nullptr;
    int64_t classDim = x->type.rank() - 1 + s;
    if (c.dx[1]) {
      CrossEntropyParts parts = crossEntropyParts(b, g, x, tgt, y->attrs);
      Node *t = c.dx[1];
      Node *inner = b.sub(t, c.sumOver(b.mul(parts.p, t), {classDim}, true));
      r = b.mul(b.mul(parts.rowScale, parts.p), inner);
    }
    if (c.dx[0]) {
      Node *w = crossEntropyGradWeights(b, b.full(1, g->type), x, tgt, y->attrs);
      Shape gs = c.lead(g->type.shape);
      gs.insert(gs.end(), x->type.rank() - g->type.rank(), 1);
      r = c.plus(r, b.mul(b.reshape(c.dx[0], gs), w));
    }
    return r;
  }
  case OpKind::Grad:
    throw Error("internal error: a grad node reached forward mode before "
                "the expand-grad pass");
  default:
    break; // not reached
  }
  return nullptr;
}

} // namespace

Node *buildJVP(GradBuilder &b, Node *y, const std::vector<Node *> &dx,
               int64_t batch) {
  Ctx c{b, y, dx, batch};
  Node *r = nullptr;
  switch (y->info().cls) {
  case OpClass::Leaf:
  case OpClass::Compare: // no tangent flows through
    return nullptr;
  case OpClass::Unary: r = unaryRule(c); break;
  case OpClass::Binary: r = binaryRule(c); break;
  case OpClass::Ternary: { // d where(m, a, b) = where(m, da, db)
    Node *ta = c.liftY(1), *tb = c.liftY(2);
    if (!ta && !tb) return nullptr;
    r = b.select(y->operands[0], ta ? ta : c.zero(), tb ? tb : c.zero());
    break;
  }
  case OpClass::Reduce: r = reduceRule(c); break;
  case OpClass::Shape: r = shapeRule(c); break;
  case OpClass::Special: r = specialRule(c); break;
  }
  if (r && r->type.dtype != y->type.dtype)
    throw Error(std::string("internal error: the tangent of '") +
                y->info().name + "' has the wrong dtype");
  return c.fit(r);
}

} // namespace gradc
