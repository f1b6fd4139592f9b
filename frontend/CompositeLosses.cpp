//===- frontend/CompositeLosses.cpp - Losses as primitive graphs ----------===//
//
// Elementwise losses of torch.nn.functional written in the primitives they
// are made of, with PyTorch 1.13's formulas (aten/src/ATen/native/Loss.cpp)
// so values agree to rounding, and a reduction at the end: "mean" (the
// default), "sum" or "none". Fusion turns each into one loop nest.
//
//===----------------------------------------------------------------------===//
#include "frontend/CompositeOps.h"

#include "ir/Error.h"

namespace gradc {
namespace {

/// Builds the temporaries of one composite: unnamed nodes under the same
/// no_grad flag, with the last one named by `finish`.
struct Emit {
  GraphBuilder &b;
  bool noGrad;

  Node *op(OpKind k, std::vector<BuildOperand> ops, AttrMap a = {},
           const std::string &name = "") {
    return b.addOp(k, ops, std::move(a), name, noGrad);
  }
  Node *op(OpKind k, Node *x, AttrMap a = {}, const std::string &name = "") {
    return op(k, std::vector<BuildOperand>{BuildOperand::of(x)}, std::move(a),
              name);
  }
};

BuildOperand V(Node *n) { return BuildOperand::of(n); }
BuildOperand L(double v) { return BuildOperand::number(v); }

/// PyTorch's reduction keyword, checked.
std::string reductionOf(const AttrMap &attrs) {
  std::string r = getString(attrs, "reduction", "mean");
  if (r != "mean" && r != "sum" && r != "none")
    throw Error("reduction must be \"mean\", \"sum\" or \"none\", got \"" + r +
                "\"");
  return r;
}

/// The last step of a loss: the per-element loss `perElem` reduced. With
/// "none" the per-element loss is the result, so the caller builds it
/// through `last` (which names it); otherwise a mean or sum over every
/// element carries the name, as F.*_loss computes `loss.mean()`.
Node *reduce(Emit &e, const std::string &reduction, Node *perElem,
             const std::string &name) {
  if (reduction == "mean") return e.op(OpKind::Mean, perElem, {}, name);
  return e.op(OpKind::Sum, perElem, {}, name);
}

/// The name of the per-element node: the op's name for reduction "none".
std::string perElemName(const std::string &reduction, const std::string &name) {
  return reduction == "none" ? name : std::string();
}

/// A tensor operand (not a number literal, not absent) of a loss.
Node *tensorOperand(const BuildOperand &o, const char *what) {
  if (!o.node)
    throw Error(std::string("'") + what + "' must be a tensor" +
                (o.absent ? ", not None" : ", not a number"));
  return o.node;
}

} // namespace

// l(x, y) = |x - y|; PyTorch computes exactly this (AbsBackward0, then
// MeanBackward0 / SumBackward0), so the grad_fn names agree too.
Node *l1Loss(GraphBuilder &b, const std::vector<BuildOperand> &x,
             const AttrMap &attrs, const std::string &name, bool noGrad) {
  Emit e{b, noGrad};
  std::string red = reductionOf(attrs);
  Node *d = e.op(OpKind::Sub, {x[0], x[1]});
  Node *l = e.op(OpKind::Abs, d, {}, perElemName(red, name));
  return red == "none" ? l : reduce(e, red, l, name);
}

// With z = |x - y|: l = 0.5 z^2 / beta if z < beta, else z - 0.5 beta.
// d l / d x = (x - y) / beta inside, sign(x - y) outside, which the
// primitives' rules give (where routes g to the branch it picked).
// beta = 0 is l1_loss, as in PyTorch (and avoids dividing by zero).
Node *smoothL1Loss(GraphBuilder &b, const std::vector<BuildOperand> &x,
                   const AttrMap &attrs, const std::string &name,
                   bool noGrad) {
  Emit e{b, noGrad};
  std::string red = reductionOf(attrs);
  double beta = getFloat(attrs, "beta", 1.0);
  if (beta < 0) throw Error("beta must be non-negative, got " + std::to_string(beta));
  std::string pe = perElemName(red, name);
  Node *d = e.op(OpKind::Sub, {x[0], x[1]});
  Node *l;
  if (beta == 0) {
    l = e.op(OpKind::Abs, d, {}, pe);
  } else {
    Node *z = e.op(OpKind::Abs, d);
    Node *inside = e.op(OpKind::Lt, {V(z), L(beta)});
    Node *sq = e.op(OpKind::Mul, {V(d), V(d)});
    Node *quad = e.op(OpKind::Div, {V(e.op(OpKind::Mul, {V(sq), L(0.5)})), L(beta)});
    Node *lin = e.op(OpKind::Sub, {V(z), L(0.5 * beta)});
    l = e.op(OpKind::Where, {V(inside), V(quad), V(lin)}, {}, pe);
  }
  return red == "none" ? l : reduce(e, red, l, name);
}

// With z = |x - y|: l = 0.5 z^2 if z < delta, else delta (z - 0.5 delta);
// the gradient is x - y inside and delta sign(x - y) outside.
Node *huberLoss(GraphBuilder &b, const std::vector<BuildOperand> &x,
                const AttrMap &attrs, const std::string &name, bool noGrad) {
  Emit e{b, noGrad};
  std::string red = reductionOf(attrs);
  double delta = getFloat(attrs, "delta", 1.0);
  if (!(delta > 0)) throw Error("delta must be positive, got " + std::to_string(delta));
  Node *d = e.op(OpKind::Sub, {x[0], x[1]});
  Node *z = e.op(OpKind::Abs, d);
  Node *inside = e.op(OpKind::Lt, {V(z), L(delta)});
  Node *sq = e.op(OpKind::Mul, {V(d), V(d)});
  Node *quad = e.op(OpKind::Mul, {V(sq), L(0.5)});
  Node *lin = e.op(OpKind::Mul, {V(e.op(OpKind::Sub, {V(z), L(0.5 * delta)})), L(delta)});
  Node *l = e.op(OpKind::Where, {V(inside), V(quad), V(lin)}, {},
                 perElemName(red, name));
  return red == "none" ? l : reduce(e, red, l, name);
}

// l = w (y - 1) max(log(1 - x), -100) - w y max(log(x), -100), PyTorch's
// formula: the logs are clamped at -100 so x = 0 or 1 gives a finite loss.
// d l / d x = w ((1 - y) / (1 - x) - y / x) where the logs are above -100
// (PyTorch divides by max(x (1 - x), 1e-12) instead; the two agree except
// within e^-100 of 0 and 1).
Node *binaryCrossEntropy(GraphBuilder &b, const std::vector<BuildOperand> &x,
                         const AttrMap &attrs, const std::string &name,
                         bool noGrad) {
  Emit e{b, noGrad};
  std::string red = reductionOf(attrs);
  tensorOperand(x[0], "input");
  AttrMap clampAt{{"min", -100.0}};
  Node *logX = e.op(OpKind::Clamp, e.op(OpKind::Log, {x[0]}), clampAt);
  Node *oneMinusX = e.op(OpKind::Sub, {L(1), x[0]});
  Node *log1mX = e.op(OpKind::Clamp, e.op(OpKind::Log, oneMinusX), clampAt);
  Node *yMinus1 = e.op(OpKind::Sub, {x[1], L(1)});
  Node *a = e.op(OpKind::Mul, {V(yMinus1), V(log1mX)});
  Node *c = e.op(OpKind::Mul, {x[1], V(logX)});
  bool weighted = !x[2].absent;
  Node *l = e.op(OpKind::Sub, {V(a), V(c)}, {},
                 weighted ? std::string() : perElemName(red, name));
  if (weighted)
    l = e.op(OpKind::Mul, {V(l), V(tensorOperand(x[2], "weight"))}, {},
             perElemName(red, name));
  return red == "none" ? l : reduce(e, red, l, name);
}

// PyTorch's stable form: with m = max(-x, 0),
//   log(1 + e^-x) = m + log(e^-m + e^(-x - m)) = sp, and
//   l = (1 - y) x + sp                 (no pos_weight)
//   l = (1 - y) x + (1 + (p - 1) y) sp (pos_weight p),
// times weight when given. No exp overflows for any x. The derivative of
// sp is -sigmoid(-x) whichever m is used, so the primitives' rules give
// d l / d x = (1 - y) - (1 + (p - 1) y) sigmoid(-x).
Node *binaryCrossEntropyWithLogits(GraphBuilder &b,
                                   const std::vector<BuildOperand> &x,
                                   const AttrMap &attrs,
                                   const std::string &name, bool noGrad) {
  Emit e{b, noGrad};
  std::string red = reductionOf(attrs);
  Node *in = tensorOperand(x[0], "input");
  Node *negX = e.op(OpKind::Neg, in);
  Node *m = e.op(OpKind::Relu, negX);
  Node *em = e.op(OpKind::Exp, e.op(OpKind::Neg, m));
  Node *exm = e.op(OpKind::Exp, e.op(OpKind::Sub, {V(negX), V(m)}));
  Node *sp = e.op(OpKind::Add, {V(m), V(e.op(OpKind::Log, e.op(OpKind::Add, {V(em), V(exm)})))});
  Node *oneMinusY = e.op(OpKind::Sub, {L(1), x[1]});
  Node *lin = e.op(OpKind::Mul, {V(oneMinusY), V(in)});
  if (!x[3].absent) {
    Node *pm1 = e.op(OpKind::Sub, {V(tensorOperand(x[3], "pos_weight")), L(1)});
    Node *lw = e.op(OpKind::Add, {V(e.op(OpKind::Mul, {V(pm1), x[1]})), L(1)});
    sp = e.op(OpKind::Mul, {V(lw), V(sp)});
  }
  bool weighted = !x[2].absent;
  Node *l = e.op(OpKind::Add, {V(lin), V(sp)}, {},
                 weighted ? std::string() : perElemName(red, name));
  if (weighted)
    l = e.op(OpKind::Mul, {V(l), V(tensorOperand(x[2], "weight"))}, {},
             perElemName(red, name));
  return red == "none" ? l : reduce(e, red, l, name);
}

} // namespace gradc
