//===- passes/AutodiffRulesSpecial.cpp - VJP rules of special ops ---------===//
//
// Reverse-mode rules of the ops of class Special: matmul, convolution,
// layer and group norm, the statistics reductions, indexing and the
// backward helpers. Notation as in AutodiffRules.cpp.
//
//===----------------------------------------------------------------------===//
#include "ir/OpClasses.h"
#include "passes/HelperVjpRules.h"
#include "passes/VjpContext.h"

namespace gradc {
namespace {

void matmulRule(VjpCtx &c) {
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
    const Shape &a2s = a2->type.shape;
    if (b2->type.rank() == 2 && a2s.size() > 2) {
      // b is shared by every batch element (x @ W of a linear layer):
      // db = sum_p a[p]^T g[p] is one product of the batch-flattened
      // operands, a^T g over [P M, K] and [P M, N], whose inner dimension
      // P M runs over every row, instead of P products of inner dimension M
      // and a sum over P of their [P, K, N] results.
      int64_t rows = 1;
      for (size_t d = 0; d + 1 < a2s.size(); ++d) rows *= a2s[d];
      Node *af = b.reshape(a2, {rows, a2s.back()});
      Node *gf = b.reshape(g2, {rows, ys.back()});
      c.grads[1] = b.reshape(b.op(OpKind::Gemm, {af, gf}, {{"trans_a", true}}), bs);
    } else {
      Node *db = b.op(OpKind::Gemm, {a2, g2}, {{"trans_a", true}});
      c.grads[1] = b.reshape(b.sumTo(db, b2->type.shape), bs);
    }
  }
}

void conv2dRule(VjpCtx &c) {
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

void layerNormRule(VjpCtx &c) {
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

void groupNormRule(VjpCtx &c) {
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
void statReductionRule(VjpCtx &c) {
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

} // namespace

void specialRule(VjpCtx &c) {
  GradBuilder &b = c.b;
  Node *y = c.y, *g = c.g;
  switch (specialOp(y->op)) {
  case SpecialOp::Matmul:
    matmulRule(c);
    return;
  case SpecialOp::Logsumexp: // dx = g exp(x - y), g and y broadcast back
  case SpecialOp::Var:    // dx = g 2 (x - mean) / (N - correction)
  case SpecialOp::Std:    // dx = g (x - mean) / ((N - correction) y), 0 where y = 0
  case SpecialOp::Norm:   // dx = x g / y, 0 where y = 0
    statReductionRule(c);
    return;
  case SpecialOp::Argmax: case SpecialOp::Argmin: // integer result: no gradient
    return;
  case SpecialOp::OneHot: // integer result: no gradient
  case SpecialOp::Arange: case SpecialOp::Full: // constants: no gradient
  case SpecialOp::ZerosLike: case SpecialOp::OnesLike:
    return;
  case SpecialOp::Embedding: {
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
  case SpecialOp::IndexSelect: // dx[.., index[j], ..] += g[.., j, ..]
    if (c.need(0))
      c.grads[0] = b.op(OpKind::IndexSelectBackward, {g, c.bOp()},
                        {{"dim", y->attrs.at("dim")},
                         {"input_size", c.a()->type.shape}});
    return;
  case SpecialOp::Gather: // y[i] = x[i with dim -> index[i]]: dx[..] += g[i]
    if (c.need(0))
      c.grads[0] = b.op(OpKind::GatherBackward, {g, c.bOp()},
                        {{"dim", y->attrs.at("dim")},
                         {"input_size", c.a()->type.shape}});
    return;

  case SpecialOp::Triu: case SpecialOp::Tril: // the same mask on g
    c.set(0, b.op(y->op, {g}, y->attrs));
    return;
  case SpecialOp::Dropout: {
    // y = x m / (1 - p) with a 0/1 mask m fixed by (seed, index), so
    // dx = g m / (1 - p): dropout of g with the same attributes and run-time
    // seed, which recomputes the forward's mask, not a new draw.
    std::vector<Node *> ops = {g};
    if (y->operands.size() > 1) ops.push_back(y->operands[1]);
    c.set(0, b.op(OpKind::Dropout, ops, y->attrs));
    return;
  }
  case SpecialOp::Cumsum: {
    // dx_i = sum_{j >= i} g_j (a cumsum from the end), computed as
    // g_i + sum(g) - cumsum(g)_i so that no flip op is needed.
    AttrMap red = {{"dim", y->attrs.at("dim")}, {"keepdim", true}};
    Node *total = b.op(OpKind::Sum, {g}, red);
    c.set(0, b.add(g, b.sub(total, b.op(OpKind::Cumsum, {g}, y->attrs))));
    return;
  }
  case SpecialOp::Softmax: { // dx = y (g - sum(g y, dim))
    AttrMap red = {{"dim", y->attrs.at("dim")}, {"keepdim", true}};
    Node *s = b.op(OpKind::Sum, {b.mul(g, y)}, red);
    c.set(0, b.mul(y, b.sub(g, s)));
    return;
  }
  case SpecialOp::LogSoftmax: { // dx = g - exp(y) sum(g, dim)
    AttrMap red = {{"dim", y->attrs.at("dim")}, {"keepdim", true}};
    Node *s = b.op(OpKind::Sum, {g}, red);
    c.set(0, b.sub(g, b.mul(b.op(OpKind::Exp, {y}), s)));
    return;
  }
  case SpecialOp::NllLoss: {
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
  case SpecialOp::NllLossBackward: {
    // dx = g J with J = d nll_loss / d input fixed by target and weight:
    // linear in g, and its adjoint G -> <G, J> (per row for none) is
    // nll_loss(G) with the same attributes. No dependence on the input's
    // values (it only gives the shape), target or weight.
    std::vector<Node *> ops = {g, y->operands[2]};
    if (y->operands.size() > 3) ops.push_back(y->operands[3]);
    if (c.need(0)) c.grads[0] = b.op(OpKind::NllLoss, ops, y->attrs);
    return;
  }
  case SpecialOp::CrossEntropy: {
    // loss_i = logsumexp(x_i) - x_i[t_i] over the rows whose target is not
    // ignore_index; reduced by mean (over those rows) or sum. Hence
    // dx_i = (softmax(x_i) - onehot(t_i)) * s_i with s_i = g / count (mean),
    // g (sum) or g_i (none), and 0 for ignored rows. The target gets none.
    if (c.need(0))
      c.grads[0] = b.op(OpKind::CrossEntropyBackward, {g, c.a(), c.bOp()},
                        y->attrs);
    return;
  }
  case SpecialOp::MseLoss: {
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
  case SpecialOp::Conv1d:
  case SpecialOp::Conv2d:
    conv2dRule(c);
    return;
  case SpecialOp::LayerNorm:
    layerNormRule(c);
    return;
  case SpecialOp::GroupNorm:
    groupNormRule(c);
    return;
  case SpecialOp::MaxPool2d:
    // dx = g sent to the element each window picked (the first maximum),
    // summed where windows overlap: MaxPool2DWithIndicesBackward0.
    c.set(0, b.op(OpKind::MaxPool2dBackward, {g, c.a()}, y->attrs));
    return;
  case SpecialOp::AvgPool2d: { // dx = g / divisor spread over each window
    AttrMap a = y->attrs;
    a["input_size"] = c.a()->type.shape;
    c.set(0, b.op(OpKind::AvgPool2dBackward, {g}, a));
    return;
  }
  case SpecialOp::AdaptiveAvgPool2d: { // the same with adaptive windows
    AttrMap a = y->attrs;
    a["input_size"] = c.a()->type.shape;
    c.set(0, b.op(OpKind::AdaptiveAvgPool2dBackward, {g}, a));
    return;
  }
  case SpecialOp::ArgmaxMask:
  case SpecialOp::ArgminMask: case SpecialOp::SliceBackward:
  case SpecialOp::Grad:
  case SpecialOp::CrossEntropyBackward: case SpecialOp::Gemm:
  case SpecialOp::LayerNormBackward:
  case SpecialOp::LayerNormXhat: case SpecialOp::GroupNormBackward:
  case SpecialOp::GroupNormXhat:
    throw noRule(y);
  // The convolution, pooling and indexing backward helpers, differentiated
  // again when a gradient is (passes/HelperVjpRules).
  case SpecialOp::Conv2dInputBackward: case SpecialOp::Conv2dWeightBackward:
  case SpecialOp::MaxPool2dBackward: case SpecialOp::AvgPool2dBackward:
  case SpecialOp::AdaptiveAvgPool2dBackward:
  case SpecialOp::IndexSelectBackward: case SpecialOp::GatherBackward:
    helperVJP(b, y, g, c.needs, c.grads);
    return;
  }
}

} // namespace gradc
