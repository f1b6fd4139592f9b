//===- tests/ops/LossCases.cpp - Cases of the losses, batch_norm, dropout -===//
#include "LossCases.h"

namespace gradc::test {
namespace {

const char *const kReductions[] = {"mean", "sum", "none"};

/// input and target of a broadcastable pair of shapes, both requiring grad.
std::pair<Node *, Node *> pair(Case &c) {
  Shape full = c.shape(0, 3);
  Node *a = c.input(full);
  Node *b = c.coin() ? c.input(full) : c.input(c.broadcastable(full));
  return {a, b};
}

/// Values in (0, 1): the sigmoid of a normal input.
Node *probabilities(Case &c, const Shape &s, bool grad) {
  return c.op(OpKind::Sigmoid, {V(c.input(s, Dist::Normal, grad))});
}

/// An input of rank 1 to 4 with `classes` at dim 1 (dim 0 for rank 1),
/// and a matching target, with some ignored positions unless `mean` (where
/// every position ignored would make the loss 0 / 0, as in PyTorch).
std::pair<Node *, Node *> classInput(Case &c, int64_t classes, bool logProbs,
                                     bool mean) {
  int rank = static_cast<int>(c.randInt(1, 4));
  Shape s = rank == 1 ? Shape{classes} : Shape{c.randInt(1, 3), classes};
  for (int d = 2; d < rank; ++d) s.push_back(c.randInt(1, 3));
  Shape ts = s;
  ts.erase(ts.begin() + (rank == 1 ? 0 : 1));
  Node *x = c.input(s);
  if (logProbs)
    x = c.op(OpKind::LogSoftmax, {V(x)}, {{"dim", int64_t(rank == 1 ? 0 : 1)}});
  return {x, c.labels(ts, classes, !mean, c.coin() ? DType::I64 : DType::I32)};
}

} // namespace

void nllLossCase(Case &c) {
  for (const char *red : kReductions) {
    int64_t k = c.randInt(2, 5);
    auto [x, t] = classInput(c, k, c.coin(), std::string(red) == "mean");
    std::vector<BuildOperand> ops = {V(x), V(t)};
    if (c.coin()) ops.push_back(V(c.input({k}, Dist::Positive, false)));
    c.output(c.op(OpKind::NllLoss, ops, {{"reduction", std::string(red)}}));
  }
  auto [x, t] = classInput(c, 3, false, true); // a custom ignore_index
  c.output(c.op(OpKind::NllLoss, {V(x), V(t)},
                {{"ignore_index", int64_t(1)}, {"reduction", std::string("sum")}}));
}

/// cross_entropy with class weights, label smoothing or positions (the
/// composite form; crossEntropyCase covers the primitive).
void crossEntropyFullCase(Case &c) {
  for (const char *red : kReductions) {
    int64_t k = c.randInt(2, 5);
    auto [x, t] = classInput(c, k, false, std::string(red) == "mean");
    std::vector<BuildOperand> ops = {V(x), V(t)};
    bool weighted = c.coin();
    if (weighted) ops.push_back(V(c.input({k}, Dist::Positive, false)));
    AttrMap at{{"reduction", std::string(red)}};
    if (!weighted || c.coin()) at["label_smoothing"] = c.coin() ? 0.1 : 0.35;
    c.output(c.composite("cross_entropy", ops, at));
  }
}

void l1LossCase(Case &c) {
  for (const char *red : kReductions) {
    auto [a, b] = pair(c);
    c.output(c.composite("l1_loss", {V(a), V(b)}, {{"reduction", std::string(red)}}));
  }
}

void smoothL1LossCase(Case &c) {
  for (const char *red : kReductions) {
    auto [a, b] = pair(c);
    AttrMap at{{"reduction", std::string(red)}};
    if (c.coin()) at["beta"] = c.coin() ? 0.5 : 2.0;
    c.output(c.composite("smooth_l1_loss", {V(a), V(b)}, at));
  }
  auto [a, b] = pair(c); // beta = 0: l1_loss
  c.output(c.composite("smooth_l1_loss", {V(a), V(b)}, {{"beta", 0.0}}));
}

void huberLossCase(Case &c) {
  for (const char *red : kReductions) {
    auto [a, b] = pair(c);
    AttrMap at{{"reduction", std::string(red)}};
    if (c.coin()) at["delta"] = c.coin() ? 0.5 : 2.0;
    c.output(c.composite("huber_loss", {V(a), V(b)}, at));
  }
}

void bceCase(Case &c) {
  for (const char *red : kReductions) {
    Shape s = c.shape(0, 3);
    std::vector<BuildOperand> ops = {V(probabilities(c, s, true)),
                                     V(probabilities(c, s, c.coin()))};
    if (c.coin()) ops.push_back(V(c.input(c.broadcastable(s), Dist::Positive)));
    c.output(c.composite("binary_cross_entropy", ops,
                         {{"reduction", std::string(red)}}));
  }
}

void bceWithLogitsCase(Case &c) {
  for (const char *red : kReductions) {
    Shape s = c.shape(0, 3);
    std::vector<BuildOperand> ops = {V(c.input(s)), V(probabilities(c, s, true))};
    int form = static_cast<int>(c.randInt(0, 3)); // which optional tensors
    ops.push_back(form & 1 ? V(c.input(c.broadcastable(s), Dist::Positive))
                           : BuildOperand::none());
    if (form & 2) ops.push_back(V(c.input(c.broadcastable(s), Dist::Positive)));
    c.output(c.composite("binary_cross_entropy_with_logits", ops,
                         {{"reduction", std::string(red)}}));
  }
}

void batchNormCase(Case &c) {
  for (int v = 0; v < 3; ++v) {
    int64_t n = c.randInt(2, 4), ch = c.randInt(1, 3);
    Shape s{n, ch};
    for (int64_t d = 0, extra = c.randInt(0, 2); d < extra; ++d)
      s.push_back(c.randInt(1, 3));
    bool training = v != 2 || c.coin();
    std::vector<BuildOperand> ops = {V(c.input(s))};
    if (!training || c.coin()) {
      ops.push_back(V(c.input({ch}, Dist::Normal, false)));
      ops.push_back(V(c.input({ch}, Dist::Positive, false)));
    } else {
      ops.push_back(BuildOperand::none());
      ops.push_back(BuildOperand::none());
    }
    int affine = static_cast<int>(c.randInt(0, 3));
    ops.push_back(affine & 1 ? V(c.input({ch})) : BuildOperand::none());
    if (affine & 2) ops.push_back(V(c.input({ch})));
    AttrMap at{{"training", training}};
    if (c.coin()) at["eps"] = 1e-3;
    if (c.coin()) at["momentum"] = 0.25;
    c.output(c.composite("batch_norm", ops, at));
  }
}

void dropoutCase(Case &c) {
  for (int v = 0; v < 3; ++v) {
    AttrMap at;
    if (c.coin()) at["p"] = c.coin() ? 0.2 : 0.7;
    if (v == 2) at["training"] = c.coin();
    if (c.coin()) at["seed"] = c.randInt(0, 1000);
    c.output(c.op(OpKind::Dropout, {V(c.input(c.shape(0, 3, 6)))}, at));
  }
}

} // namespace gradc::test
