//===- passes/AutodiffRules.cpp - Vector-Jacobian product rules -----------===//
//
// Notation in the comments: y is the node's result, g = dL/dy its adjoint,
// a and b its operands. Broadcasting binary ops reduce each operand's
// adjoint back to the operand's shape with sumTo (the adjoint of expand).
// Where PyTorch's derivatives.yaml picks a particular form (for example
// -g * a / (b * b) for division), the rule follows it so results agree
// bit for bit as often as possible.
//
//===----------------------------------------------------------------------===//
#include "passes/AutodiffRules.h"

#include "ir/Error.h"
#include "ir/OpClasses.h"
#include "passes/VjpContext.h"

namespace gradc {
namespace {

/// dy/da of gelu, as PyTorch's GeluBackward computes it.
///  approximate "none": y = a Phi(a), Phi(a) = (1 + erf(a / sqrt 2)) / 2,
///    dy/da = Phi(a) + a phi(a), phi(a) = exp(-a^2 / 2) / sqrt(2 pi);
///  approximate "tanh": u = k (a + c a^3), t = tanh(u), y = a (1 + t) / 2,
///    dy/da = (1 + t) / 2 + a / 2 (1 - t^2) k (1 + 3 c a^2),
///    k = sqrt(2 / pi), c = 0.044715.
Node *geluDerivative(VjpCtx &c) {
  GradBuilder &b = c.b;
  Node *a = c.a();
  DType t = c.dt();
  Node *half = b.scalar(0.5, t), *one = b.scalar(1, t);
  if (getString(c.y->attrs, "approximate", "none") == "tanh") {
    const double k = 0.7978845608028654, cc = 0.044715;
    Node *a2 = b.mul(a, a);
    Node *u = b.mulScalar(b.add(a, b.mulScalar(b.mul(a2, a), cc)), k);
    Node *th = b.op(OpKind::Tanh, {u});
    Node *left = b.mul(half, b.add(one, th));
    Node *du = b.mulScalar(b.add(one, b.mulScalar(a2, 3 * cc)), k);
    Node *right = b.mul(b.mul(b.mul(half, a), b.sub(one, b.mul(th, th))), du);
    return b.add(left, right);
  }
  Node *cdf = b.mul(half, b.add(one, b.op(OpKind::Erf, {b.mulScalar(a, 0.7071067811865476)})));
  Node *pdf = b.mulScalar(b.op(OpKind::Exp, {b.mulScalar(b.mul(a, a), -0.5)}),
                          0.3989422804014327);
  return b.add(cdf, b.mul(a, pdf));
}

void unaryRule(VjpCtx &c) {
  GradBuilder &b = c.b;
  Node *a = c.a(), *y = c.y, *g = c.g;
  Node *r = nullptr;
  switch (unaryOp(y->op)) {
  case UnaryOp::Neg: r = b.neg(g); break;                 // d(-a) = -g
  case UnaryOp::Exp: r = b.mul(g, y); break;              // d exp(a) = g * y
  case UnaryOp::Log: r = b.div(g, a); break;              // d log(a) = g / a
  case UnaryOp::Sqrt:                                     // d sqrt(a) = g / (2y)
    r = b.div(g, b.mulScalar(y, 2));
    break;
  case UnaryOp::Abs:                                      // d |a| = g * sign(a)
    r = b.mul(g, b.op(OpKind::Sign, {a}));
    break;
  case UnaryOp::Sin:                                      // d sin(a) = g cos(a)
    r = b.mul(g, b.op(OpKind::Cos, {a}));
    break;
  case UnaryOp::Cos:                                      // d cos(a) = -g sin(a)
    r = b.mul(g, b.neg(b.op(OpKind::Sin, {a})));
    break;
  case UnaryOp::Tanh:                                     // g (1 - y^2)
    r = b.mul(g, b.sub(b.scalar(1, c.dt()), b.mul(y, y)));
    break;
  case UnaryOp::Sigmoid:                                  // g (1 - y) y
    r = b.mul(b.mul(g, b.sub(b.scalar(1, c.dt()), y)), y);
    break;
  case UnaryOp::Relu: // g where y > 0; a NaN y passes g on, as in PyTorch
    r = b.select(b.op(OpKind::Le, {y, c.zero()}), c.zero(), g);
    break;
  case UnaryOp::Sign:                                     // 0 almost everywhere
    r = b.full(0, a->type);
    break;
  case UnaryOp::Gelu:
    r = b.mul(g, geluDerivative(c));
    break;
  case UnaryOp::Silu: { // s = sigmoid(a): g s (1 + a (1 - s))
    Node *s = b.op(OpKind::Sigmoid, {a});
    Node *one = b.scalar(1, c.dt());
    r = b.mul(b.mul(g, s), b.add(one, b.mul(a, b.sub(one, s))));
    break;
  }
  case UnaryOp::LeakyRelu: // g where a > 0, else g * negative_slope
    r = b.select(b.op(OpKind::Gt, {a, c.zero()}), g,
                 b.mulScalar(g, getFloat(y->attrs, "negative_slope", 0.01)));
    break;
  case UnaryOp::Elu: // g where a > 0, else g * alpha * exp(a)
    r = b.select(b.op(OpKind::Gt, {a, c.zero()}), g,
                 b.mul(b.mulScalar(g, getFloat(y->attrs, "alpha", 1)),
                       b.op(OpKind::Exp, {a})));
    break;
  case UnaryOp::Softplus: {
    // z = exp(beta a): g z / (z + 1), and g where beta a > threshold (the
    // linear branch of the forward)
    double beta = getFloat(y->attrs, "beta", 1);
    Node *ba = b.mulScalar(a, beta);
    Node *z = b.op(OpKind::Exp, {ba});
    Node *soft = b.div(b.mul(g, z), b.add(z, b.scalar(1, c.dt())));
    Node *lin = b.op(OpKind::Gt, {ba, b.scalar(getFloat(y->attrs, "threshold", 20), c.dt())});
    r = b.select(lin, g, soft);
    break;
  }
  case UnaryOp::Erf: // d erf(a) = g 2/sqrt(pi) exp(-a^2)
    r = b.mul(b.mulScalar(g, 1.1283791670955126),
              b.op(OpKind::Exp, {b.neg(b.mul(a, a))}));
    break;
  case UnaryOp::Log1p: // g / (a + 1)
    r = b.div(g, b.add(a, b.scalar(1, c.dt())));
    break;
  case UnaryOp::Expm1: // g (y + 1)
    r = b.mul(g, b.add(y, b.scalar(1, c.dt())));
    break;
  case UnaryOp::Rsqrt: // d a^(-1/2) = -1/2 g y^3
    r = b.mulScalar(b.mul(g, b.mul(b.mul(y, y), y)), -0.5);
    break;
  case UnaryOp::Reciprocal: // d (1/a) = -g y^2
    r = b.mul(b.neg(g), b.mul(y, y));
    break;
  case UnaryOp::Clamp: { // g where min <= a <= max (a NaN a gets 0)
    Node *in = nullptr;
    if (y->attrs.count("min"))
      in = b.op(OpKind::Ge, {a, b.scalar(getFloat(y->attrs, "min", 0), c.dt())});
    if (y->attrs.count("max")) {
      Node *le = b.op(OpKind::Le, {a, b.scalar(getFloat(y->attrs, "max", 0), c.dt())});
      in = in ? b.logicalAnd(in, le) : le;
    }
    r = b.select(in, g, c.zero());
    break;
  }
  case UnaryOp::Hardtanh: { // 0 where a <= min_val or a >= max_val, else g
    Node *lo = b.op(OpKind::Le, {a, b.scalar(getFloat(y->attrs, "min_val", -1), c.dt())});
    Node *hi = b.op(OpKind::Ge, {a, b.scalar(getFloat(y->attrs, "max_val", 1), c.dt())});
    r = b.select(b.logicalOr(lo, hi), c.zero(), g);
    break;
  }
  case UnaryOp::Detach: // no gradient flows through (its row has no grad_fn)
    throw noRule(y);
  }
  c.set(0, r);
}

void powRule(VjpCtx &c) {
  GradBuilder &b = c.b;
  Node *a = c.a(), *e = c.bOp(), *g = c.g;
  if (c.need(0)) {
    // d a^e / da = e a^(e-1), computed as g * (e * a^(e-1)); PyTorch returns
    // exact zeros where e == 0, so that a == 0 gives 0 rather than 0 * inf.
    if (isScalarConst(e, 0)) {
      c.set(0, b.full(0, c.y->type));
    } else {
      Node *em1 = b.sub(e, b.scalar(1, c.dt()));
      Node *v = b.mul(g, b.mul(e, b.op(OpKind::Pow, {a, em1})));
      bool nonZeroSplat = e->op == OpKind::Constant && !e->attrs.count("data") &&
                          getFloat(e->attrs, "value", 0) != 0;
      if (!nonZeroSplat)
        v = b.select(b.op(OpKind::Eq, {e, c.zero()}), c.zero(), v);
      c.set(0, v);
    }
  }
  if (c.need(1)) {
    // d a^e / de = a^e log(a), computed as g * (y * log(a)), and 0 where
    // a == 0 and e >= 0 (the limit PyTorch uses instead of 0 * -inf).
    Node *v = b.mul(g, b.mul(c.y, b.op(OpKind::Log, {a})));
    Node *aZero = b.op(OpKind::Eq, {a, c.zero()});
    Node *eNonNeg = b.op(OpKind::Ge, {e, c.zero()});
    c.set(1, b.select(b.logicalAnd(aZero, eNonNeg), c.zero(), v));
  }
}

void binaryRule(VjpCtx &c) {
  GradBuilder &b = c.b;
  Node *a = c.a(), *bb = c.bOp(), *g = c.g;
  switch (binaryOp(c.y->op)) {
  case BinaryOp::Add: // d(a + b) = (g, g)
    c.set(0, g);
    c.set(1, g);
    return;
  case BinaryOp::Sub: // d(a - b) = (g, -g)
    c.set(0, g);
    if (c.need(1)) c.set(1, b.neg(g));
    return;
  case BinaryOp::Mul: // d(a * b) = (g b, g a)
    if (c.need(0)) c.set(0, b.mul(g, bb));
    if (c.need(1)) c.set(1, b.mul(g, a));
    return;
  case BinaryOp::Div: // d(a / b) = (g / b, -g a / (b b))
    if (c.need(0)) c.set(0, b.div(g, bb));
    if (c.need(1)) c.set(1, b.div(b.mul(b.neg(g), a), b.mul(bb, bb)));
    return;
  case BinaryOp::Pow:
    powRule(c);
    return;
  case BinaryOp::MaskedFill: // g where the mask is false; the mask gets none
    c.set(0, b.select(bb, c.zero(), g));
    return;
  case BinaryOp::Maximum:
  case BinaryOp::Minimum: {
    // PyTorch's rule: h = where(a == b, g / 2, g) (ties split evenly), then
    // the loser's share is zeroed: maximum: da = h where !(a < b),
    // db = h where !(a > b); minimum the other way round. A NaN operand
    // loses no comparison, so both operands then get g.
    bool isMax = c.y->op == OpKind::Maximum;
    Node *h = b.select(b.op(OpKind::Eq, {a, bb}), b.mulScalar(g, 0.5), g);
    OpKind loseA = isMax ? OpKind::Lt : OpKind::Gt;
    if (c.need(0)) c.set(0, b.select(b.op(loseA, {a, bb}), c.zero(), h));
    if (c.need(1)) c.set(1, b.select(b.op(loseA, {bb, a}), c.zero(), h));
    return;
  }
  }
}

void whereRule(VjpCtx &c) {
  // d where(m, a, b) = (-, g where m, g where !m)
  Node *m = c.y->operands[0];
  if (c.need(1)) c.set(1, c.b.select(m, c.g, c.zero()));
  if (c.need(2)) c.set(2, c.b.select(m, c.zero(), c.g));
}

/// max/min, three ways, as PyTorch sends the gradient:
///  - x.max(dim) (one dim): all of g to the element whose index it returns,
///    the first extremum along dim (NaN counts as the extremum):
///      dx = g where mask, mask = _argmax_mask(x, dim);
///  - x.max() (no dim, no keepdim): g shared evenly by the elements equal to y, or by
///    the NaNs when y is NaN (evenly_distribute_backward):
///      dx = g / count(mask) where mask, mask = x == y | (x, y both NaN);
///  - x.amax(dims) (several dims, or keepdim without dim): g shared evenly by the elements equal
///    to y in each reduced slice (a NaN slice gets NaN):
///      dx = (g / sum(mask, dims)) * mask, mask = (x == y).
void extremumRule(VjpCtx &c, const std::vector<int64_t> &dims, Node *gFull) {
  GradBuilder &b = c.b;
  Node *x = c.a();
  const Shape &xs = x->type.shape;
  bool isMax = c.y->op == OpKind::Max;
  bool keep = getBool(c.y->attrs, "keepdim", false);
  bool hasDim = c.y->attrs.count("dim") > 0;
  if (hasDim && x->type.rank() == 0) { // a scalar's max(0) is the identity
    c.set(0, gFull);
    return;
  }
  if (hasDim && dims.size() == 1) {
    Node *mask = b.op(isMax ? OpKind::ArgmaxMask : OpKind::ArgminMask, {x},
                      {{"dim", dims[0]}});
    c.set(0, b.select(mask, gFull, c.zero()));
    return;
  }
  Node *yFull = b.unreduce(c.y, dims, keep, xs);
  Node *mask = b.op(OpKind::Eq, {x, yFull});
  // keepdim without dim is amax over every dim (x.max() takes no keepdim).
  bool evenly = !hasDim && !keep;
  if (evenly) {
    Node *nanX = b.op(OpKind::Ne, {x, x}), *nanY = b.op(OpKind::Ne, {yFull, yFull});
    mask = b.logicalOr(mask, b.logicalAnd(nanX, nanY));
  }
  Node *ones = b.select(mask, b.scalar(1, c.dt()), c.zero());
  Node *count = b.op(OpKind::Sum, {ones}, {{"dim", dims}, {"keepdim", true}});
  Node *share = b.div(gFull, b.expandTo(count, xs));
  if (evenly) // masked_fill: exact zeros off the mask
    c.set(0, b.select(mask, share, c.zero()));
  else
    c.set(0, b.mul(share, ones));
}

void reduceRule(VjpCtx &c) {
  GradBuilder &b = c.b;
  Node *x = c.a();
  std::vector<int64_t> dims = reducedDims(c.y);
  bool keep = getBool(c.y->attrs, "keepdim", false);
  const Shape &xs = x->type.shape;
  Node *gFull = b.unreduce(c.g, dims, keep, xs);
  switch (reduceOp(c.y->op)) {
  case ReduceOp::Sum: // d sum(x) = g broadcast back over the reduced dims
    c.set(0, gFull);
    return;
  case ReduceOp::Mean: { // d mean(x) = g / N broadcast back
    int64_t n = 1;
    for (int64_t d : dims) n *= xs[d];
    c.set(0, b.div(gFull, b.scalar(static_cast<double>(n), c.dt())));
    return;
  }
  case ReduceOp::Max:
  case ReduceOp::Min:
    extremumRule(c, dims, gFull);
    return;
  }
}

void shapeRule(VjpCtx &c) {
  GradBuilder &b = c.b;
  Node *x = c.a(), *g = c.g, *y = c.y;
  switch (shapeOp(y->op)) {
  case ShapeOp::Reshape:
  case ShapeOp::Squeeze:
  case ShapeOp::Unsqueeze: // a view: reshape g back
    c.set(0, b.reshape(g, x->type.shape));
    return;
  case ShapeOp::Expand: // adjoint of broadcasting is summation
    c.set(0, b.sumTo(g, x->type.shape));
    return;
  case ShapeOp::Transpose: // a transposition is its own inverse
    c.set(0, b.op(OpKind::Transpose, {g},
                  {{"dim0", y->attrs.at("dim0")}, {"dim1", y->attrs.at("dim1")}}));
    return;
  case ShapeOp::Permute: { // apply the inverse permutation
    std::vector<int64_t> p = getInts(y->attrs, "dims", {}), inv(p.size());
    for (size_t i = 0; i < p.size(); ++i) inv[p[i]] = static_cast<int64_t>(i);
    c.set(0, b.op(OpKind::Permute, {g}, {{"dims", inv}}));
    return;
  }
  case ShapeOp::Slice: // scatter g into zeros at the sliced positions
    c.set(0, b.op(OpKind::SliceBackward, {g},
                  {{"shape", x->type.shape}, {"dim", y->attrs.at("dim")},
                   {"start", y->attrs.at("start")}, {"end", y->attrs.at("end")},
                   {"step", y->attrs.at("step")}}));
    return;
  case ShapeOp::Select: { // g goes back to row `index` of dim, zeros elsewhere
    int64_t d = getInt(y->attrs, "dim", 0), i = getInt(y->attrs, "index", 0);
    Shape kept = g->type.shape;
    kept.insert(kept.begin() + d, 1);
    c.set(0, b.op(OpKind::SliceBackward, {b.reshape(g, kept)},
                  {{"shape", x->type.shape}, {"dim", d}, {"start", i},
                   {"end", i + 1}, {"step", int64_t(1)}}));
    return;
  }
  case ShapeOp::Concat: { // each operand gets its slice of g
    int64_t d = getInt(y->attrs, "dim", 0), off = 0;
    for (size_t i = 0; i < y->operands.size(); ++i) {
      int64_t len = y->operands[i]->type.shape[d];
      if (c.need(i))
        c.grads[i] = b.op(OpKind::Slice, {g},
                          {{"dim", d}, {"start", off}, {"end", off + len},
                           {"step", int64_t(1)}});
      off += len;
    }
    return;
  }
  }
}

} // namespace

void buildVJP(GradBuilder &b, Node *y, Node *gy, const std::vector<bool> &needs,
              std::vector<Node *> &grads) {
  grads.assign(y->operands.size(), nullptr);
  VjpCtx c{b, y, gy, needs, grads};
  switch (y->info().cls) {
  case OpClass::Unary: unaryRule(c); break;
  case OpClass::Binary: binaryRule(c); break;
  case OpClass::Ternary: whereRule(c); break;
  case OpClass::Reduce: reduceRule(c); break;
  case OpClass::Shape: shapeRule(c); break;
  case OpClass::Special: specialRule(c); break;
  case OpClass::Leaf:
  case OpClass::Compare:
    break; // no gradient flows through
  }
}

} // namespace gradc
