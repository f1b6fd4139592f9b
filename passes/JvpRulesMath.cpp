//===- passes/JvpRulesMath.cpp - Forward-mode rules of elementwise math ---===//
//
// Tangents of the activations and elementwise math ops, masked_fill, the
// statistical reductions (logsumexp, var, std, norm), cumsum and the
// triangle masks. Notation as in passes/JvpRules.cpp: a is the operand, t
// its tangent (batched tangents carry a leading K dim, which broadcasting
// pairs correctly with unbatched primal values of the same rank), y the
// result and dy the tangent built.
//
//===----------------------------------------------------------------------===//
#include "passes/AutodiffRules.h"
#include "passes/JvpContext.h"

#include "ir/Error.h"

namespace gradc {
namespace {

/// f'(a) of a smooth elementwise unary op, built by its VJP rule with the
/// unit adjoint (g = 1): the VJP of an elementwise op is g f'(a), so the
/// forward and reverse modes share one derivative formula (PyTorch's
/// derivatives.yaml form, written out in passes/AutodiffRules.cpp).
Node *unitDerivative(JvpCtx &c) {
  std::vector<Node *> grads;
  buildVJP(c.b, c.y, c.b.full(1, c.y->type), {true}, grads);
  return grads[0];
}

/// dy = dx where keep, 0 elsewhere (the clipping activations).
Node *passWhere(JvpCtx &c, Node *keep, Node *t) {
  return c.b.select(keep, t, c.zero());
}

Node *scalarAttr(JvpCtx &c, const char *key, double def) {
  return c.b.scalar(getFloat(c.y->attrs, key, def), c.dt());
}

/// logsumexp, var, std, norm over `dims` of x (y = f(x) reduced):
///   logsumexp: dy = sum(t exp(x - y))       (softmax-weighted tangent)
///   var:       dy = 2 / (N - c) sum((x - mean x) t)
///              (the mean's own tangent drops out: sum(x - mean x) = 0)
///   std:       dy = dvar / (2 y) = sum((x - mean x) t) / ((N - c) y),
///              0 where y = 0 (as the VJP)
///   norm (p=2): dy = sum(x t) / y, 0 where y = 0.
Node *statRule(JvpCtx &c, Node *t) {
  GradBuilder &b = c.b;
  Node *x = c.x(0), *y = c.y;
  std::vector<int64_t> dims = jvpReducedDims(y);
  bool keep = getBool(y->attrs, "keepdim", false);
  const Shape &full = x->type.shape;
  Node *yu = b.unreduce(y, dims, keep, full);
  Node *zero = c.zero();
  auto fold = [&](Node *v) { return c.sumOver(v, c.shifted(dims), keep); };
  if (y->op == OpKind::Logsumexp)
    return fold(b.mul(t, b.op(OpKind::Exp, {b.sub(x, yu)})));
  if (y->op == OpKind::Norm) {
    Node *w = b.select(b.op(OpKind::Eq, {yu, zero}), zero, b.div(x, yu));
    return fold(b.mul(t, w));
  }
  int64_t n = 1;
  for (int64_t d : dims) n *= full[d];
  double denom = static_cast<double>(n - getInt(y->attrs, "correction", 1));
  AttrMap red = {{"keepdim", true}};
  if (y->attrs.count("dim")) red["dim"] = y->attrs.at("dim");
  Node *centered = b.sub(x, b.op(OpKind::Mean, {x}, red));
  if (y->op == OpKind::Var)
    return fold(b.mul(t, b.mulScalar(centered, 2 / denom)));
  // std
  Node *w = b.div(centered, b.mulScalar(yu, denom));
  w = b.select(b.op(OpKind::Eq, {yu, zero}), zero, w);
  return fold(b.mul(t, w));
}

} // namespace

Node *mathJvp(JvpCtx &c) {
  GradBuilder &b = c.b;
  Node *y = c.y, *a = c.x(0), *t = c.dx[0];
  if (!t) return nullptr; // every op here is differentiable in operand 0 only
  // An if-chain rather than a switch: JvpRules.cpp's exhaustive switch
  // dispatches only the ops below here.
  OpKind k = y->op;
  // Smooth elementwise ops: dy = t f'(a) with f' from the shared formula:
  //   gelu:       Phi(a) + a phi(a)   (tanh form: see geluDerivative)
  //   silu:       s (1 + a (1 - s)),   s = sigmoid(a)
  //   elu:        1 for a > 0, alpha exp(a) else
  //   softplus:   z / (z + 1), z = exp(beta a); 1 where beta a > threshold
  //   erf:        2 / sqrt(pi) exp(-a^2)
  //   log1p:      1 / (a + 1)
  //   expm1:      y + 1
  //   rsqrt:      -1/2 y^3
  //   reciprocal: -y^2
  if (k == OpKind::Gelu || k == OpKind::Silu || k == OpKind::Elu ||
      k == OpKind::Softplus || k == OpKind::Erf || k == OpKind::Log1p ||
      k == OpKind::Expm1 || k == OpKind::Rsqrt || k == OpKind::Reciprocal)
    return b.mul(t, unitDerivative(c));
  if (k == OpKind::LeakyRelu) // dy = t for a > 0, t negative_slope else
    return b.select(b.op(OpKind::Gt, {a, c.zero()}), t,
                    b.mulScalar(t, getFloat(y->attrs, "negative_slope", 0.01)));
  if (k == OpKind::Clamp) { // dy = t where min <= a <= max (a NaN a gets 0)
    Node *in = nullptr;
    if (y->attrs.count("min"))
      in = b.op(OpKind::Ge, {a, scalarAttr(c, "min", 0)});
    if (y->attrs.count("max")) {
      Node *le = b.op(OpKind::Le, {a, scalarAttr(c, "max", 0)});
      in = in ? b.logicalAnd(in, le) : le;
    }
    return in ? passWhere(c, in, t) : t;
  }
  if (k == OpKind::Hardtanh) { // dy = 0 where a <= min_val or a >= max_val, else t
    Node *lo = b.op(OpKind::Le, {a, scalarAttr(c, "min_val", -1)});
    Node *hi = b.op(OpKind::Ge, {a, scalarAttr(c, "max_val", 1)});
    return b.select(b.logicalOr(lo, hi), c.zero(), t);
  }
  if (k == OpKind::MaskedFill) // y = value where mask else a: dy = 0 where mask, else t
    return b.select(c.x(1), c.zero(), c.liftY(0));
  if (k == OpKind::Logsumexp || k == OpKind::Var || k == OpKind::Std ||
      k == OpKind::Norm)
    return statRule(c, t);
  if (k == OpKind::Cumsum) { // linear: dy = cumsum(t) along the same dim
    int64_t r = a->type.rank();
    if (r == 0) return t;
    int64_t d = normalizeDim(getInt(y->attrs, "dim", 0), r);
    return b.op(OpKind::Cumsum, {t}, {{"dim", d + c.s()}});
  }
  if (k == OpKind::Triu || k == OpKind::Tril) // linear masks of the last two dims
    return b.op(k, {t}, y->attrs);
  throw InternalError("forward mode", std::string("'") + y->info().name +
                                          "' reached the rules of elementwise math");
}

} // namespace gradc
