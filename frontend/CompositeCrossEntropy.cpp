//===- frontend/CompositeCrossEntropy.cpp - cross_entropy's full form -----===//
//
// F.cross_entropy(input, target, weight=None, ignore_index=-100,
// reduction="mean", label_smoothing=0.0) with class-index targets. The
// plain form ([C] or [N, C], no weight, no smoothing) is the fused
// primitive cross_entropy (one pass, its own backward). Otherwise it is
// PyTorch 1.13's own decomposition (aten cross_entropy_loss_label_smoothing):
//
//   lp   = log_softmax(input, classes)
//   nll  = nll_loss(lp, target, weight, reduction, ignore_index)
//   s_i  = -sum_c lp[i, c] w[c]   (w = 1 without weights), 0 where ignored
//   ret  = s (none), sum(s) (sum), sum(s) / sum of w[t_i] over the counted
//          positions (mean; the count of them without weights)
//   loss = (1 - eps) nll + eps / C ret        (eps = label_smoothing)
//
// so values, gradients and the final grad_fn (AddBackward0 with smoothing,
// NllLossBackward0 without) are PyTorch's.
//
//===----------------------------------------------------------------------===//
#include "frontend/CompositeOps.h"

#include "ir/Error.h"

namespace gradc {

namespace {
BuildOperand V(Node *n) { return BuildOperand::of(n); }
BuildOperand L(double v) { return BuildOperand::number(v); }
} // namespace

Node *crossEntropy(GraphBuilder &b, const std::vector<BuildOperand> &x,
                   const AttrMap &attrs, const std::string &name,
                   bool noGrad) {
  auto op = [&](OpKind k, std::vector<BuildOperand> ops, AttrMap a = {},
                const std::string &n = "", bool ng = false) {
    return b.addOp(k, ops, std::move(a), n, noGrad || ng);
  };
  const double eps = getFloat(attrs, "label_smoothing", 0.0);
  if (!(eps >= 0 && eps <= 1))
    throw Error("label_smoothing must be in [0, 1], got " + std::to_string(eps));
  AttrMap nllAttrs = attrs;
  nllAttrs.erase("label_smoothing");
  Node *in = x[0].node;
  const bool weighted = !x[2].absent;
  const int64_t rank = in ? in->type.rank() : 0;
  if (!weighted && eps == 0 && rank <= 2)
    return op(OpKind::CrossEntropy, {x[0], x[1]}, nllAttrs, name);
  if (!in || !x[1].node)
    throw Error("input and target must be tensors");
  if (rank < 1)
    throw Error("the input must be [C], [N, C] or [N, C, d...], got a scalar");
  const int64_t classDim = rank == 1 ? 0 : 1;
  const int64_t classes = in->type.shape[classDim];
  Node *lp = op(OpKind::LogSoftmax, {V(in)}, {{"dim", classDim}});
  std::vector<BuildOperand> nllOps = {V(lp), x[1]};
  if (weighted) nllOps.push_back(x[2]);
  if (eps == 0) return op(OpKind::NllLoss, nllOps, nllAttrs, name);

  Node *nll = op(OpKind::NllLoss, nllOps, nllAttrs);
  Node *terms = lp;
  if (weighted) {
    Node *w = x[2].node;
    if (!w) throw Error("weight must be a tensor");
    if (rank > 2) { // [C] -> [C, 1, ...] against [N, C, d...]
      Shape col(static_cast<size_t>(rank - 1), 1);
      col[0] = classes;
      w = op(OpKind::Reshape, {V(w)}, {{"shape", col}});
    }
    terms = op(OpKind::Mul, {V(lp), V(w)});
  }
  Node *smooth = op(OpKind::Neg, {V(op(OpKind::Sum, {V(terms)},
                                       {{"dim", std::vector<int64_t>{classDim}}}))});
  const int64_t ignore = getInt(attrs, "ignore_index", -100);
  Node *ignored = op(OpKind::Eq, {x[1], L(static_cast<double>(ignore))});
  smooth = op(OpKind::MaskedFill, {V(smooth), V(ignored)}, {{"value", 0.0}});
  const std::string red = getString(attrs, "reduction", "mean");
  Node *ret = smooth;
  if (red != "none") {
    ret = op(OpKind::Sum, {V(smooth)});
    if (red == "mean") {
      // The weight of the counted positions: nll_loss of lp 0 - 1 = -1
      // everywhere (log_softmax is finite for finite logits). Its
      // derivative is exactly 0, so it needs no no_grad region (which
      // would keep forward mode's finite-difference check from moving it).
      Node *minusOne = op(OpKind::Sub, {V(op(OpKind::Mul, {V(lp), L(0)})), L(1)});
      std::vector<BuildOperand> wOps = {V(minusOne), x[1]};
      if (weighted) wOps.push_back(x[2]);
      Node *total = op(OpKind::NllLoss, wOps,
                       {{"reduction", std::string("sum")},
                        {"ignore_index", ignore}});
      ret = op(OpKind::Div, {V(ret), V(total)});
    }
  }
  Node *a = op(OpKind::Mul, {V(nll), L(1 - eps)});
  Node *c = op(OpKind::Mul, {V(ret), L(eps / static_cast<double>(classes))});
  return op(OpKind::Add, {V(a), V(c)}, {}, name);
}

} // namespace gradc
