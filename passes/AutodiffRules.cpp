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
#include "passes/HelperVjpRules.h"

namespace gradc {
namespace {

/// The error of an op that reached a rule without a case for it: the op
/// list and the rules disagree, which is a bug, never the user's input.
InternalError noRule(const Node *y) {
  return InternalError("autodiff", std::string("no derivative rule for '") +
                                       y->info().name + "'");
}

struct Ctx {
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

bool isScalarConst(const Node *n, double v) {
  return n->op == OpKind::Constant && n->type.rank() == 0 &&
         getFloat(n->attrs, "value", v + 1) == v;
}

/// dy/da of gelu, as PyTorch's GeluBackward computes it.
///  approximate "none": y = a Phi(a), Phi(a) = (1 + erf(a / sqrt 2)) / 2,
///    dy/da = Phi(a) + a phi(a), phi(a) = exp(-a^2 / 2) / sqrt(2 pi);
///  approximate "tanh": u = k (a + c a^3), t = tanh(u), y = a (1 + t) / 2,
///    dy/da = (1 + t) / 2 + a / 2 (1 - t^2) k (1 + 3 c a^2),
///    k = sqrt(2 / pi), c = 0.044715.
Node *geluDerivative(Ctx &c) {
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

void unaryRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *a = c.a(), *y = c.y, *g = c.g;
  Node *r = nullptr;
  switch (y->op) {
  case OpKind::Neg: r = b.neg(g); break;                  // d(-a) = -g
  case OpKind::Exp: r = b.mul(g, y); break;               // d exp(a) = g * y
  case OpKind::Log: r = b.div(g, a); break;               // d log(a) = g / a
  case OpKind::Sqrt:                                      // d sqrt(a) = g / (2y)
    r = b.div(g, b.mulScalar(y, 2));
    break;
  case OpKind::Abs:                                       // d |a| = g * sign(a)
    r = b.mul(g, b.op(OpKind::Sign, {a}));
    break;
  case OpKind::Sin:                                       // d sin(a) = g cos(a)
    r = b.mul(g, b.op(OpKind::Cos, {a}));
    break;
  case OpKind::Cos:                                       // d cos(a) = -g sin(a)
    r = b.mul(g, b.neg(b.op(OpKind::Sin, {a})));
    break;
  case OpKind::Tanh:                                      // g (1 - y^2)
    r = b.mul(g, b.sub(b.scalar(1, c.dt()), b.mul(y, y)));
    break;
  case OpKind::Sigmoid:                                   // g (1 - y) y
    r = b.mul(b.mul(g, b.sub(b.scalar(1, c.dt()), y)), y);
    break;
  case OpKind::Relu: // g where y > 0; a NaN y passes g on, as in PyTorch
    r = b.select(b.op(OpKind::Le, {y, c.zero()}), c.zero(), g);
    break;
  case OpKind::Sign:                                      // 0 almost everywhere
    r = b.full(0, a->type);
    break;
  case OpKind::Gelu:
    r = b.mul(g, geluDerivative(c));
    break;
  case OpKind::Silu: { // s = sigmoid(a): g s (1 + a (1 - s))
    Node *s = b.op(OpKind::Sigmoid, {a});
    Node *one = b.scalar(1, c.dt());
    r = b.mul(b.mul(g, s), b.add(one, b.mul(a, b.sub(one, s))));
    break;
  }
  case OpKind::LeakyRelu: // g where a > 0, else g * negative_slope
    r = b.select(b.op(OpKind::Gt, {a, c.zero()}), g,
                 b.mulScalar(g, getFloat(y->attrs, "negative_slope", 0.01)));
    break;
  case OpKind::Elu: // g where a > 0, else g * alpha * exp(a)
    r = b.select(b.op(OpKind::Gt, {a, c.zero()}), g,
                 b.mul(b.mulScalar(g, getFloat(y->attrs, "alpha", 1)),
                       b.op(OpKind::Exp, {a})));
    break;
  case OpKind::Softplus: {
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
  case OpKind::Erf: // d erf(a) = g 2/sqrt(pi) exp(-a^2)
    r = b.mul(b.mulScalar(g, 1.1283791670955126),
              b.op(OpKind::Exp, {b.neg(b.mul(a, a))}));
    break;
  case OpKind::Log1p: // g / (a + 1)
    r = b.div(g, b.add(a, b.scalar(1, c.dt())));
    break;
  case OpKind::Expm1: // g (y + 1)
    r = b.mul(g, b.add(y, b.scalar(1, c.dt())));
    break;
  case OpKind::Rsqrt: // d a^(-1/2) = -1/2 g y^3
    r = b.mulScalar(b.mul(g, b.mul(b.mul(y, y), y)), -0.5);
    break;
  case OpKind::Reciprocal: // d (1/a) = -g y^2
    r = b.mul(b.neg(g), b.mul(y, y));
    break;
  case OpKind::Clamp: { // g where min <= a <= max (a NaN a gets 0)
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
  case OpKind::Hardtanh: { // 0 where a <= min_val or a >= max_val, else g
    Node *lo = b.op(OpKind::Le, {a, b.scalar(getFloat(y->attrs, "min_val", -1), c.dt())});
    Node *hi = b.op(OpKind::Ge, {a, b.scalar(getFloat(y->attrs, "max_val", 1), c.dt())});
    r = b.select(b.logicalOr(lo, hi), c.zero(), g);
    break;
  }
  case OpKind::Input: case OpKind::Constant: case OpKind::Seed:
  case OpKind::Logsumexp: case OpKind::Var: case OpKind::Std: case OpKind::Norm:
  case OpKind::Argmax: case OpKind::Argmin:
  case OpKind::Triu: case OpKind::Tril: case OpKind::Dropout:
  case OpKind::MaskedFill:
  case OpKind::Cumsum:
  case OpKind::Detach: case OpKind::Add: case OpKind::Sub: case OpKind::Mul:
  case OpKind::Div: case OpKind::Pow: case OpKind::Maximum:
  case OpKind::Minimum: case OpKind::Lt: case OpKind::Le: case OpKind::Gt:
  case OpKind::Ge: case OpKind::Eq: case OpKind::Ne: case OpKind::Where:
  case OpKind::Sum: case OpKind::Mean: case OpKind::Max: case OpKind::Min:
  case OpKind::Reshape: case OpKind::Expand: case OpKind::Transpose:
  case OpKind::Permute: case OpKind::Squeeze: case OpKind::Unsqueeze:
  case OpKind::Concat: case OpKind::Slice: case OpKind::Matmul:
  case OpKind::Softmax: case OpKind::LogSoftmax: case OpKind::CrossEntropy: case OpKind::NllLoss:
  case OpKind::MseLoss: case OpKind::ArgmaxMask: case OpKind::ArgminMask:
  case OpKind::SliceBackward: case OpKind::CrossEntropyBackward: case OpKind::NllLossBackward:
  case OpKind::Grad:
  case OpKind::Gemm: case OpKind::Conv2d:
  case OpKind::Conv2dInputBackward: case OpKind::Conv2dWeightBackward:
  case OpKind::MaxPool2d: case OpKind::AvgPool2d:
  case OpKind::AdaptiveAvgPool2d: case OpKind::MaxPool2dBackward:
  case OpKind::AvgPool2dBackward: case OpKind::AdaptiveAvgPool2dBackward:
  case OpKind::LayerNorm: case OpKind::LayerNormBackward:
  case OpKind::LayerNormXhat: case OpKind::Conv1d:
  case OpKind::GroupNorm: case OpKind::GroupNormBackward:
  case OpKind::GroupNormXhat:
  case OpKind::Embedding: case OpKind::IndexSelect: case OpKind::Gather:
  case OpKind::Select: case OpKind::OneHot:
  case OpKind::IndexSelectBackward: case OpKind::GatherBackward:
  case OpKind::Arange: case OpKind::Full: case OpKind::ZerosLike: case OpKind::OnesLike:
    throw noRule(y);
  }
  c.set(0, r);
}

void powRule(Ctx &c) {
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

void binaryRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *a = c.a(), *bb = c.bOp(), *g = c.g;
  switch (c.y->op) {
  case OpKind::Add: // d(a + b) = (g, g)
    c.set(0, g);
    c.set(1, g);
    return;
  case OpKind::Sub: // d(a - b) = (g, -g)
    c.set(0, g);
    if (c.need(1)) c.set(1, b.neg(g));
    return;
  case OpKind::Mul: // d(a * b) = (g b, g a)
    if (c.need(0)) c.set(0, b.mul(g, bb));
    if (c.need(1)) c.set(1, b.mul(g, a));
    return;
  case OpKind::Div: // d(a / b) = (g / b, -g a / (b b))
    if (c.need(0)) c.set(0, b.div(g, bb));
    if (c.need(1)) c.set(1, b.div(b.mul(b.neg(g), a), b.mul(bb, bb)));
    return;
  case OpKind::Pow:
    powRule(c);
    return;
  case OpKind::MaskedFill: // g where the mask is false; the mask gets none
    c.set(0, b.select(bb, c.zero(), g));
    return;
  case OpKind::Maximum:
  case OpKind::Minimum: {
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
  case OpKind::Input: case OpKind::Constant: case OpKind::Seed:
  case OpKind::Neg: case OpKind::Exp: case OpKind::Log: case OpKind::Sqrt:
  case OpKind::Abs: case OpKind::Sin: case OpKind::Cos: case OpKind::Tanh:
  case OpKind::Sigmoid: case OpKind::Relu: case OpKind::Sign:
  case OpKind::Gelu: case OpKind::Silu: case OpKind::LeakyRelu: case OpKind::Elu:
  case OpKind::Softplus: case OpKind::Erf: case OpKind::Log1p: case OpKind::Expm1:
  case OpKind::Rsqrt: case OpKind::Reciprocal: case OpKind::Clamp:
  case OpKind::Hardtanh:
  case OpKind::Logsumexp: case OpKind::Var: case OpKind::Std: case OpKind::Norm:
  case OpKind::Argmax: case OpKind::Argmin:
  case OpKind::Triu: case OpKind::Tril: case OpKind::Dropout:
  case OpKind::Cumsum:
  case OpKind::Detach: case OpKind::Lt: case OpKind::Le: case OpKind::Gt:
  case OpKind::Ge: case OpKind::Eq: case OpKind::Ne: case OpKind::Where:
  case OpKind::Sum: case OpKind::Mean: case OpKind::Max: case OpKind::Min:
  case OpKind::Reshape: case OpKind::Expand: case OpKind::Transpose:
  case OpKind::Permute: case OpKind::Squeeze: case OpKind::Unsqueeze:
  case OpKind::Concat: case OpKind::Slice: case OpKind::Matmul:
  case OpKind::Softmax: case OpKind::LogSoftmax: case OpKind::CrossEntropy: case OpKind::NllLoss:
  case OpKind::MseLoss: case OpKind::ArgmaxMask: case OpKind::ArgminMask:
  case OpKind::SliceBackward: case OpKind::CrossEntropyBackward: case OpKind::NllLossBackward:
  case OpKind::Grad:
  case OpKind::Gemm: case OpKind::Conv2d:
  case OpKind::Conv2dInputBackward: case OpKind::Conv2dWeightBackward:
  case OpKind::MaxPool2d: case OpKind::AvgPool2d:
  case OpKind::AdaptiveAvgPool2d: case OpKind::MaxPool2dBackward:
  case OpKind::AvgPool2dBackward: case OpKind::AdaptiveAvgPool2dBackward:
  case OpKind::LayerNorm: case OpKind::LayerNormBackward:
  case OpKind::LayerNormXhat: case OpKind::Conv1d:
  case OpKind::GroupNorm: case OpKind::GroupNormBackward:
  case OpKind::GroupNormXhat:
  case OpKind::Embedding: case OpKind::IndexSelect: case OpKind::Gather:
  case OpKind::Select: case OpKind::OneHot:
  case OpKind::IndexSelectBackward: case OpKind::GatherBackward:
  case OpKind::Arange: case OpKind::Full: case OpKind::ZerosLike: case OpKind::OnesLike:
    throw noRule(c.y);
  }
}

void whereRule(Ctx &c) {
  // d where(m, a, b) = (-, g where m, g where !m)
  Node *m = c.y->operands[0];
  if (c.need(1)) c.set(1, c.b.select(m, c.g, c.zero()));
  if (c.need(2)) c.set(2, c.b.select(m, c.zero(), c.g));
}

std::vector<int64_t> reducedDims(const Node *y) {
  const Shape &in = y->operands[0]->type.shape;
  std::vector<int64_t> all;
  for (int64_t i = 0; i < static_cast<int64_t>(in.size()); ++i) all.push_back(i);
  return getInts(y->attrs, "dim", all);
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
void extremumRule(Ctx &c, const std::vector<int64_t> &dims, Node *gFull) {
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

void reduceRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *x = c.a();
  std::vector<int64_t> dims = reducedDims(c.y);
  bool keep = getBool(c.y->attrs, "keepdim", false);
  const Shape &xs = x->type.shape;
  Node *gFull = b.unreduce(c.g, dims, keep, xs);
  switch (c.y->op) {
  case OpKind::Sum: // d sum(x) = g broadcast back over the reduced dims
    c.set(0, gFull);
    return;
  case OpKind::Mean: { // d mean(x) = g / N broadcast back
    int64_t n = 1;
    for (int64_t d : dims) n *= xs[d];
    c.set(0, b.div(gFull, b.scalar(static_cast<double>(n), c.dt())));
    return;
  }
  case OpKind::Max:
  case OpKind::Min:
    extremumRule(c, dims, gFull);
    return;
  case OpKind::Input: case OpKind::Constant: case OpKind::Seed:
  case OpKind::Neg: case OpKind::Exp: case OpKind::Log: case OpKind::Sqrt:
  case OpKind::Abs: case OpKind::Sin: case OpKind::Cos: case OpKind::Tanh:
  case OpKind::Sigmoid: case OpKind::Relu: case OpKind::Sign:
  case OpKind::Gelu: case OpKind::Silu: case OpKind::LeakyRelu: case OpKind::Elu:
  case OpKind::Softplus: case OpKind::Erf: case OpKind::Log1p: case OpKind::Expm1:
  case OpKind::Rsqrt: case OpKind::Reciprocal: case OpKind::Clamp:
  case OpKind::Hardtanh:
  case OpKind::Logsumexp: case OpKind::Var: case OpKind::Std: case OpKind::Norm:
  case OpKind::Argmax: case OpKind::Argmin:
  case OpKind::Triu: case OpKind::Tril: case OpKind::Dropout:
  case OpKind::MaskedFill:
  case OpKind::Cumsum:
  case OpKind::Detach: case OpKind::Add: case OpKind::Sub: case OpKind::Mul:
  case OpKind::Div: case OpKind::Pow: case OpKind::Maximum:
  case OpKind::Minimum: case OpKind::Lt: case OpKind::Le: case OpKind::Gt:
  case OpKind::Ge: case OpKind::Eq: case OpKind::Ne: case OpKind::Where:
  case OpKind::Reshape: case OpKind::Expand: case OpKind::Transpose:
  case OpKind::Permute: case OpKind::Squeeze: case OpKind::Unsqueeze:
  case OpKind::Concat: case OpKind::Slice: case OpKind::Matmul:
  case OpKind::Softmax: case OpKind::LogSoftmax: case OpKind::CrossEntropy: case OpKind::NllLoss:
  case OpKind::MseLoss: case OpKind::ArgmaxMask: case OpKind::ArgminMask:
  case OpKind::SliceBackward: case OpKind::CrossEntropyBackward: case OpKind::NllLossBackward:
  case OpKind::Grad:
  case OpKind::Gemm: case OpKind::Conv2d:
  case OpKind::Conv2dInputBackward: case OpKind::Conv2dWeightBackward:
  case OpKind::MaxPool2d: case OpKind::AvgPool2d:
  case OpKind::AdaptiveAvgPool2d: case OpKind::MaxPool2dBackward:
  case OpKind::AvgPool2dBackward: case OpKind::AdaptiveAvgPool2dBackward:
  case OpKind::LayerNorm: case OpKind::LayerNormBackward:
  case OpKind::LayerNormXhat: case OpKind::Conv1d:
  case OpKind::GroupNorm: case OpKind::GroupNormBackward:
  case OpKind::GroupNormXhat:
  case OpKind::Embedding: case OpKind::IndexSelect: case OpKind::Gather:
  case OpKind::Select: case OpKind::OneHot:
  case OpKind::IndexSelectBackward: case OpKind::GatherBackward:
  case OpKind::Arange: case OpKind::Full: case OpKind::ZerosLike: case OpKind::OnesLike:
    // A reduction without a rule must not get a zero gradient silently.
    throw noRule(c.y);
  }
}

void shapeRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *x = c.a(), *g = c.g, *y = c.y;
  switch (y->op) {
  case OpKind::Reshape:
  case OpKind::Squeeze:
  case OpKind::Unsqueeze: // a view: reshape g back
    c.set(0, b.reshape(g, x->type.shape));
    return;
  case OpKind::Expand: // adjoint of broadcasting is summation
    c.set(0, b.sumTo(g, x->type.shape));
    return;
  case OpKind::Transpose: // a transposition is its own inverse
    c.set(0, b.op(OpKind::Transpose, {g},
                  {{"dim0", y->attrs.at("dim0")}, {"dim1", y->attrs.at("dim1")}}));
    return;
  case OpKind::Permute: { // apply the inverse permutation
    std::vector<int64_t> p = getInts(y->attrs, "dims", {}), inv(p.size());
    for (size_t i = 0; i < p.size(); ++i) inv[p[i]] = static_cast<int64_t>(i);
    c.set(0, b.op(OpKind::Permute, {g}, {{"dims", inv}}));
    return;
  }
  case OpKind::Slice: // scatter g into zeros at the sliced positions
    c.set(0, b.op(OpKind::SliceBackward, {g},
                  {{"shape", x->type.shape}, {"dim", y->attrs.at("dim")},
                   {"start", y->attrs.at("start")}, {"end", y->attrs.at("end")},
                   {"step", y->attrs.at("step")}}));
    return;
  case OpKind::Select: { // g goes back to row `index` of dim, zeros elsewhere
    int64_t d = getInt(y->attrs, "dim", 0), i = getInt(y->attrs, "index", 0);
    Shape kept = g->type.shape;
    kept.insert(kept.begin() + d, 1);
    c.set(0, b.op(OpKind::SliceBackward, {b.reshape(g, kept)},
                  {{"shape", x->type.shape}, {"dim", d}, {"start", i},
                   {"end", i + 1}, {"step", int64_t(1)}}));
    return;
  }
  case OpKind::Concat: { // each operand gets its slice of g
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
  case OpKind::Input: case OpKind::Constant: case OpKind::Seed:
  case OpKind::Neg: case OpKind::Exp: case OpKind::Log: case OpKind::Sqrt:
  case OpKind::Abs: case OpKind::Sin: case OpKind::Cos: case OpKind::Tanh:
  case OpKind::Sigmoid: case OpKind::Relu: case OpKind::Sign:
  case OpKind::Gelu: case OpKind::Silu: case OpKind::LeakyRelu: case OpKind::Elu:
  case OpKind::Softplus: case OpKind::Erf: case OpKind::Log1p: case OpKind::Expm1:
  case OpKind::Rsqrt: case OpKind::Reciprocal: case OpKind::Clamp:
  case OpKind::Hardtanh:
  case OpKind::Logsumexp: case OpKind::Var: case OpKind::Std: case OpKind::Norm:
  case OpKind::Argmax: case OpKind::Argmin:
  case OpKind::Triu: case OpKind::Tril: case OpKind::Dropout:
  case OpKind::MaskedFill:
  case OpKind::Cumsum:
  case OpKind::Detach: case OpKind::Add: case OpKind::Sub: case OpKind::Mul:
  case OpKind::Div: case OpKind::Pow: case OpKind::Maximum:
  case OpKind::Minimum: case OpKind::Lt: case OpKind::Le: case OpKind::Gt:
  case OpKind::Ge: case OpKind::Eq: case OpKind::Ne: case OpKind::Where:
  case OpKind::Sum: case OpKind::Mean: case OpKind::Max: case OpKind::Min:
  case OpKind::Matmul: case OpKind::Softmax: case OpKind::LogSoftmax:
  case OpKind::CrossEntropy: case OpKind::NllLoss: case OpKind::MseLoss: case OpKind::ArgmaxMask:
  case OpKind::ArgminMask: case OpKind::SliceBackward:
  case OpKind::Grad:
  case OpKind::CrossEntropyBackward: case OpKind::NllLossBackward: case OpKind::Gemm: case OpKind::Conv2d:
  case OpKind::Conv2dInputBackward: case OpKind::Conv2dWeightBackward:
  case OpKind::MaxPool2d: case OpKind::AvgPool2d:
  case OpKind::AdaptiveAvgPool2d: case OpKind::MaxPool2dBackward:
  case OpKind::AvgPool2dBackward: case OpKind::AdaptiveAvgPool2dBackward:
  case OpKind::LayerNorm: case OpKind::LayerNormBackward:
  case OpKind::LayerNormXhat: case OpKind::Conv1d:
  case OpKind::GroupNorm: case OpKind::GroupNormBackward:
  case OpKind::GroupNormXhat:
  case OpKind::Embedding: case OpKind::IndexSelect: case OpKind::Gather:
  case OpKind::OneHot:
  case OpKind::IndexSelectBackward: case OpKind::GatherBackward:
  case OpKind::Arange: case OpKind::Full: case OpKind::ZerosLike: case OpKind::OnesLike:
    throw noRule(y);
  }
}

void matmulRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *a = c.a(), *bm = c.bOp();
  const Shape &as = a->type.shape, &bs = bm->type.shape;
  // Work on the >= 2-D forms: a vector a is [1, K], a vector b is [K, 1].
  Node *a2 = as.size() == 1 ? b.reshape(a, {1, as[0]}) : a;
  Node *b2 = bs.size() == 1 ? b.reshape(bm, {bs[0], 1}) : bm;
  Shape ys = c.y->type.shape;
  if (as.size() == 1) ys.insert(ys.end() - (bs.size() == 1 ? 0 : 1), 1);
  if (bs.size() == 1) ys.push_back(1);
  Node *g2 = b.reshape(c.g, ys);
  // y = a b  =>  da = g b^T, db = a^T g (batch dims reduced by sumTo). The
  // transposes are flags of _gemm, read by BLAS, not copies.
  if (c.need(0)) {
    Node *da = b.op(OpKind::Gemm, {g2, b2}, {{"trans_b", true}});
    c.grads[0] = b.reshape(b.sumTo(da, a2->type.shape), as);
  }
  if (c.need(1)) {
    Node *db = b.op(OpKind::Gemm, {a2, g2}, {{"trans_a", true}});
    c.grads[1] = b.reshape(b.sumTo(db, b2->type.shape), bs);
  }
}

void conv2dRule(Ctx &c) {
  // y[n,o] = b[o] + sum_c x[n,c] (*) w[o,c] (a cross-correlation). Its
  // adjoints are the two backward convolutions of the same geometry:
  //   dx = g (*)^T w  (the transposed convolution, _conv2d_input_backward),
  //   dw[o,c] = sum_n g[n,o] (*) x[n,c]  (_conv2d_weight_backward),
  //   db[o] = sum over n, h, w of g[n,o].
  GradBuilder &b = c.b;
  Node *y = c.y, *g = c.g, *x = c.a(), *w = c.bOp();
  AttrMap geo = {{"stride", y->attrs.at("stride")},
                 {"padding", y->attrs.at("padding")},
                 {"dilation", y->attrs.at("dilation")},
                 {"groups", y->attrs.at("groups")}};
  if (c.need(0)) {
    AttrMap a = geo;
    a["input_size"] = x->type.shape;
    c.grads[0] = b.op(OpKind::Conv2dInputBackward, {g, w}, a);
  }
  if (c.need(1)) {
    AttrMap a = geo;
    a["weight_size"] = w->type.shape;
    c.grads[1] = b.op(OpKind::Conv2dWeightBackward, {g, x}, a);
  }
  if (y->operands.size() == 3 && c.need(2))
    c.grads[2] = b.op(OpKind::Sum, {g},
                      {{"dim", y->op == OpKind::Conv1d ? std::vector<int64_t>{0, 2}
                                                       : std::vector<int64_t>{0, 2, 3}}});
}

void layerNormRule(Ctx &c) {
  // Per row (the normalized trailing dims, M elements): xhat = (x - mean)
  // rstd with rstd = 1 / sqrt(var + eps) (biased variance), y = xhat w + b.
  //   dx = rstd (gw - mean(gw) - xhat mean(gw xhat)), gw = g w
  //        (the fused _layer_norm_backward, as PyTorch's native kernel),
  //   dw = sum over rows of g xhat,  db = sum over rows of g.
  GradBuilder &b = c.b;
  Node *y = c.y, *g = c.g, *x = c.a();
  AttrMap a = {{"normalized_shape", y->attrs.at("normalized_shape")},
               {"eps", y->attrs.at("eps")}};
  bool hasW = y->operands.size() >= 2;
  if (c.need(0)) {
    std::vector<Node *> ops = {g, x};
    if (hasW) ops.push_back(y->operands[1]);
    c.grads[0] = b.op(OpKind::LayerNormBackward, ops, a);
  }
  int64_t lead = x->type.rank() -
                 static_cast<int64_t>(getInts(a, "normalized_shape", {}).size());
  std::vector<int64_t> rows;
  for (int64_t d = 0; d < lead; ++d) rows.push_back(d);
  auto overRows = [&](Node *v) {
    return rows.empty() ? v : b.op(OpKind::Sum, {v}, {{"dim", rows}});
  };
  if (hasW && c.need(1))
    c.grads[1] = overRows(b.mul(g, b.op(OpKind::LayerNormXhat, {x}, a)));
  if (y->operands.size() == 3 && c.need(2)) c.grads[2] = overRows(g);
}

void groupNormRule(Ctx &c) {
  // As layer_norm, over the rows (sample, group) of C / G channels times
  // the trailing dims, with a per-channel affine y = xhat w[c] + b[c]:
  //   dx = _group_norm_backward(g, x[, w]) (layer_norm's formula per row,
  //        gw = g w[c]), dw[c] = sum over n and the trailing dims of g xhat,
  //   db[c] = the same sum of g.
  GradBuilder &b = c.b;
  Node *y = c.y, *g = c.g, *x = c.a();
  AttrMap a = {{"num_groups", y->attrs.at("num_groups")}, {"eps", y->attrs.at("eps")}};
  bool hasW = y->operands.size() >= 2;
  if (c.need(0)) {
    std::vector<Node *> ops = {g, x};
    if (hasW) ops.push_back(y->operands[1]);
    c.grads[0] = b.op(OpKind::GroupNormBackward, ops, a);
  }
  std::vector<int64_t> dims = {0};
  for (int64_t d = 2; d < x->type.rank(); ++d) dims.push_back(d);
  auto perChannel = [&](Node *v) { return b.op(OpKind::Sum, {v}, {{"dim", dims}}); };
  if (hasW && c.need(1))
    c.grads[1] = perChannel(b.mul(g, b.op(OpKind::GroupNormXhat, {x}, a)));
  if (y->operands.size() == 3 && c.need(2)) c.grads[2] = perChannel(g);
}

/// The reductions of ir/Ops.def's statistical group (logsumexp, norm,
/// var, std; the caller dispatches only these). Their adjoint g and
/// result y are broadcast back over the reduced dims first (unreduce).
void statReductionRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *x = c.a(), *y = c.y;
  std::vector<int64_t> dims = reducedDims(y);
  bool keep = getBool(y->attrs, "keepdim", false);
  const Shape &full = x->type.shape;
  Node *g = b.unreduce(c.g, dims, keep, full);
  Node *yu = b.unreduce(y, dims, keep, full);
  Node *zero = b.scalar(0, c.dt());
  if (y->op == OpKind::Logsumexp) {
    c.set(0, b.mul(g, b.op(OpKind::Exp, {b.sub(x, yu)})));
    return;
  }
  if (y->op == OpKind::Norm) {
    c.set(0, b.select(b.op(OpKind::Eq, {yu, zero}), zero, b.mul(x, b.div(g, yu))));
    return;
  }
  // var and std.
  int64_t n = 1;
  for (int64_t d : dims) n *= full[d];
  double denom = static_cast<double>(n - getInt(y->attrs, "correction", 1));
  AttrMap red = {{"keepdim", true}};
  if (y->attrs.count("dim")) red["dim"] = y->attrs.at("dim");
  Node *centered = b.sub(x, b.op(OpKind::Mean, {x}, red));
  if (y->op == OpKind::Var) {
    c.set(0, b.mul(b.mulScalar(g, 2 / denom), centered));
    return;
  }
  Node *s = b.div(g, b.mulScalar(yu, denom));
  s = b.select(b.op(OpKind::Eq, {yu, zero}), zero, s);
  c.set(0, b.mul(s, centered));
}

void specialRule(Ctx &c) {
  GradBuilder &b = c.b;
  Node *y = c.y, *g = c.g;
  switch (y->op) {
  case OpKind::Matmul:
    matmulRule(c);
    return;
  case OpKind::Logsumexp: // dx = g exp(x - y), g and y broadcast back
  case OpKind::Var:       // dx = g 2 (x - mean) / (N - correction)
  case OpKind::Std:       // dx = g (x - mean) / ((N - correction) y), 0 where y = 0
  case OpKind::Norm:      // dx = x g / y, 0 where y = 0
    statReductionRule(c);
    return;
  case OpKind::Argmax: case OpKind::Argmin: // integer result: no gradient
    return;
  case OpKind::OneHot: // integer result: no gradient
  case OpKind::Arange: case OpKind::Full: // constants: no gradient
  case OpKind::ZerosLike: case OpKind::OnesLike:
    return;
  case OpKind::Embedding: {
    // y[p, :] = w[idx[p], :], so dw[r, :] = sum over p with idx[p] = r of
    // g[p, :]: index_select's scatter-add on the flattened index, the row
    // padding_idx left at zero as in PyTorch.
    Node *idx = c.a(), *w = c.bOp();
    if (!c.need(1)) return;
    int64_t n = idx->type.numel(), dim = w->type.shape[1];
    AttrMap a = {{"dim", int64_t(0)}, {"input_size", w->type.shape}};
    if (y->attrs.count("padding_idx")) a["padding_idx"] = y->attrs.at("padding_idx");
    c.grads[1] = b.op(OpKind::IndexSelectBackward,
                      {b.reshape(g, {n, dim}), b.reshape(idx, {n})}, a);
    return;
  }
  case OpKind::IndexSelect: // dx[.., index[j], ..] += g[.., j, ..]
    if (c.need(0))
      c.grads[0] = b.op(OpKind::IndexSelectBackward, {g, c.bOp()},
                        {{"dim", y->attrs.at("dim")},
                         {"input_size", c.a()->type.shape}});
    return;
  case OpKind::Gather: // y[i] = x[i with dim -> index[i]]: dx[..] += g[i]
    if (c.need(0))
      c.grads[0] = b.op(OpKind::GatherBackward, {g, c.bOp()},
                        {{"dim", y->attrs.at("dim")},
                         {"input_size", c.a()->type.shape}});
    return;

  case OpKind::Triu: case OpKind::Tril: // the same mask on g
    c.set(0, b.op(y->op, {g}, y->attrs));
    return;
  case OpKind::Dropout: {
    // y = x m / (1 - p) with a 0/1 mask m fixed by (seed, index), so
    // dx = g m / (1 - p): dropout of g with the same attributes and run-time
    // seed, which recomputes the forward's mask, not a new draw.
    std::vector<Node *> ops = {g};
    if (y->operands.size() > 1) ops.push_back(y->operands[1]);
    c.set(0, b.op(OpKind::Dropout, ops, y->attrs));
    return;
  }
  case OpKind::Cumsum: {
    // dx_i = sum_{j >= i} g_j (a cumsum from the end), computed as
    // g_i + sum(g) - cumsum(g)_i so that no flip op is needed.
    AttrMap red = {{"dim", y->attrs.at("dim")}, {"keepdim", true}};
    Node *total = b.op(OpKind::Sum, {g}, red);
    c.set(0, b.add(g, b.sub(total, b.op(OpKind::Cumsum, {g}, y->attrs))));
    return;
  }
  case OpKind::Softmax: { // dx = y (g - sum(g y, dim))
    AttrMap red = {{"dim", y->attrs.at("dim")}, {"keepdim", true}};
    Node *s = b.op(OpKind::Sum, {b.mul(g, y)}, red);
    c.set(0, b.mul(y, b.sub(g, s)));
    return;
  }
  case OpKind::LogSoftmax: { // dx = g - exp(y) sum(g, dim)
    AttrMap red = {{"dim", y->attrs.at("dim")}, {"keepdim", true}};
    Node *s = b.op(OpKind::Sum, {g}, red);
    c.set(0, b.sub(g, b.mul(b.op(OpKind::Exp, {y}), s)));
    return;
  }
  case OpKind::NllLoss: {
    // y = -sum_i w[t_i] x[i, t_i] r (r = 1, or 1 / sum_i w[t_i] for mean;
    // per row for none): dx[i, c] = -w[t_i] r g_i [c == t_i], written by
    // _nll_loss_backward. PyTorch has no gradient for the class weights.
    if (y->operands.size() > 2 && c.need(2))
      throw Error("node '" + y->displayName() + "' (nll_loss): its class "
                  "weights '" + y->operands[2]->displayName() +
                  "' have no gradient (PyTorch has none either); pass them "
                  "without requires_grad or detach them");
    if (c.need(0)) {
      std::vector<Node *> ops = {g, c.a(), c.bOp()};
      if (y->operands.size() > 2) ops.push_back(y->operands[2]);
      c.grads[0] = b.op(OpKind::NllLossBackward, ops, y->attrs);
    }
    return;
  }
  case OpKind::NllLossBackward: {
    // dx = g J with J = d nll_loss / d input fixed by target and weight:
    // linear in g, and its adjoint G -> <G, J> (per row for none) is
    // nll_loss(G) with the same attributes. No dependence on the input's
    // values (it only gives the shape), target or weight.
    std::vector<Node *> ops = {g, y->operands[2]};
    if (y->operands.size() > 3) ops.push_back(y->operands[3]);
    if (c.need(0)) c.grads[0] = b.op(OpKind::NllLoss, ops, y->attrs);
    return;
  }
  case OpKind::CrossEntropy: {
    // loss_i = logsumexp(x_i) - x_i[t_i] over the rows whose target is not
    // ignore_index; reduced by mean (over those rows) or sum. Hence
    // dx_i = (softmax(x_i) - onehot(t_i)) * s_i with s_i = g / count (mean),
    // g (sum) or g_i (none), and 0 for ignored rows. The target gets none.
    if (c.need(0))
      c.grads[0] = b.op(OpKind::CrossEntropyBackward, {g, c.a(), c.bOp()},
                        y->attrs);
    return;
  }
  case OpKind::MseLoss: {
    // d mean((a - b)^2) / da = norm (a - b) g with norm = 2 / N (mean) or
    // 2 (sum, none), as PyTorch's mse_loss_backward computes it; db = -da.
    Node *a = c.a(), *bb = c.bOp();
    Node *diff = b.sub(a, bb);
    const Shape &s = diff->type.shape;
    std::string red = getString(y->attrs, "reduction", "mean");
    double norm = red == "mean" ? 2.0 / static_cast<double>(numElements(s)) : 2.0;
    Node *t = b.mul(b.mulScalar(diff, norm), b.expandTo(g, s));
    if (c.need(0)) c.set(0, t);
    if (c.need(1)) c.set(1, b.neg(t));
    return;
  }
  case OpKind::Conv1d:
  case OpKind::Conv2d:
    conv2dRule(c);
    return;
  case OpKind::LayerNorm:
    layerNormRule(c);
    return;
  case OpKind::GroupNorm:
    groupNormRule(c);
    return;
  case OpKind::MaxPool2d:
    // dx = g sent to the element each window picked (the first maximum),
    // summed where windows overlap: MaxPool2DWithIndicesBackward0.
    c.set(0, b.op(OpKind::MaxPool2dBackward, {g, c.a()}, y->attrs));
    return;
  case OpKind::AvgPool2d: { // dx = g / divisor spread over each window
    AttrMap a = y->attrs;
    a["input_size"] = c.a()->type.shape;
    c.set(0, b.op(OpKind::AvgPool2dBackward, {g}, a));
    return;
  }
  case OpKind::AdaptiveAvgPool2d: { // the same with adaptive windows
    AttrMap a = y->attrs;
    a["input_size"] = c.a()->type.shape;
    c.set(0, b.op(OpKind::AdaptiveAvgPool2dBackward, {g}, a));
    return;
  }
  case OpKind::Input: case OpKind::Constant: case OpKind::Seed:
  case OpKind::Neg: case OpKind::Exp: case OpKind::Log: case OpKind::Sqrt:
  case OpKind::Abs: case OpKind::Sin: case OpKind::Cos: case OpKind::Tanh:
  case OpKind::Sigmoid: case OpKind::Relu: case OpKind::Sign:
  case OpKind::Gelu: case OpKind::Silu: case OpKind::LeakyRelu: case OpKind::Elu:
  case OpKind::Softplus: case OpKind::Erf: case OpKind::Log1p: case OpKind::Expm1:
  case OpKind::Rsqrt: case OpKind::Reciprocal: case OpKind::Clamp:
  case OpKind::Hardtanh:
  case OpKind::MaskedFill:
  case OpKind::Detach: case OpKind::Add: case OpKind::Sub: case OpKind::Mul:
  case OpKind::Div: case OpKind::Pow: case OpKind::Maximum:
  case OpKind::Minimum: case OpKind::Lt: case OpKind::Le: case OpKind::Gt:
  case OpKind::Ge: case OpKind::Eq: case OpKind::Ne: case OpKind::Where:
  case OpKind::Sum: case OpKind::Mean: case OpKind::Max: case OpKind::Min:
  case OpKind::Reshape: case OpKind::Expand: case OpKind::Transpose:
  case OpKind::Permute: case OpKind::Squeeze: case OpKind::Unsqueeze:
  case OpKind::Concat: case OpKind::Slice: case OpKind::ArgmaxMask:
  case OpKind::ArgminMask: case OpKind::SliceBackward:
  case OpKind::Grad:
  case OpKind::CrossEntropyBackward: case OpKind::Gemm:
  case OpKind::LayerNormBackward:
  case OpKind::LayerNormXhat: case OpKind::GroupNormBackward:
  case OpKind::GroupNormXhat:
  case OpKind::Select:
    throw noRule(y);
  // The convolution, pooling and indexing backward helpers, differentiated
  // again when a gradient is (passes/HelperVjpRules).
  case OpKind::Conv2dInputBackward: case OpKind::Conv2dWeightBackward:
  case OpKind::MaxPool2dBackward: case OpKind::AvgPool2dBackward:
  case OpKind::AdaptiveAvgPool2dBackward:
  case OpKind::IndexSelectBackward: case OpKind::GatherBackward:
    helperVJP(b, y, g, c.needs, c.grads);
    return;
  }
}

} // namespace

void buildVJP(GradBuilder &b, Node *y, Node *gy, const std::vector<bool> &needs,
              std::vector<Node *> &grads) {
  grads.assign(y->operands.size(), nullptr);
  Ctx c{b, y, gy, needs, grads};
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
