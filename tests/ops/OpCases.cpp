//===- tests/ops/OpCases.cpp - The finite-difference cases of the ops -----===//
//
// Each case builds a few random variants of one op (random shapes incl.
// broadcasting, dims incl. negative ones, keepdim) into one graph.
//
//===----------------------------------------------------------------------===//
#include "OpCases.h"
#include "LossCases.h"

#include "ir/Error.h"

using namespace gradc;
using namespace gradc::test;

namespace {

constexpr int kVariants = 3; // random variants of the op in one graph

// --- elementwise ------------------------------------------------------

template <OpKind K, Dist D> void unary(Case &c) {
  for (int v = 0; v < kVariants; ++v)
    c.output(c.op(K, {V(c.input(c.shape(0, 3), D))}));
}

/// A composite op of one operand (frontend/Decompositions.h): its
/// primitives' gradients, checked like an op's.
void squareCase(Case &c) {
  for (int v = 0; v < kVariants; ++v)
    c.output(c.composite("square", {V(c.input(c.shape(0, 3)))}));
}

/// An activation with random float parameters: each of `keys` is left at
/// PyTorch's default or set to a value drawn from `values`.
template <OpKind K, Dist D>
void activation(Case &c, const std::vector<const char *> &keys,
                const std::vector<double> &values) {
  for (int v = 0; v < kVariants; ++v) {
    AttrMap a;
    for (const char *k : keys)
      if (c.coin()) a[k] = values[c.randInt(0, values.size() - 1)];
    c.output(c.op(K, {V(c.input(c.shape(0, 3), D))}, a));
  }
}

void geluCase(Case &c) {
  for (const char *approx : {"", "none", "tanh"}) {
    AttrMap a;
    if (*approx) a["approximate"] = std::string(approx);
    c.output(c.op(OpKind::Gelu, {V(c.input(c.shape(0, 3)))}, a));
  }
}
void leakyReluCase(Case &c) {
  activation<OpKind::LeakyRelu, Dist::NonZero>(c, {"negative_slope"}, {0.2, 0.0, -0.5});
}
void eluCase(Case &c) {
  activation<OpKind::Elu, Dist::NonZero>(c, {"alpha"}, {0.5, 2.0});
}
void softplusCase(Case &c) {
  activation<OpKind::Softplus, Dist::Normal>(c, {"beta", "threshold"}, {0.5, 2.0, 1.25});
}
void clampCase(Case &c) {
  // Either bound, or both; values at a bound are improbable with N(0, 1).
  AttrMap forms[] = {{{"min", -0.3}}, {{"max", 0.4}}, {{"min", -0.6}, {"max", 0.7}}};
  for (const AttrMap &a : forms)
    c.output(c.op(OpKind::Clamp, {V(c.input(c.shape(0, 3)))}, a));
}
void hardtanhCase(Case &c) {
  activation<OpKind::Hardtanh, Dist::Normal>(c, {"min_val"}, {-0.4, -1.5});
  activation<OpKind::Hardtanh, Dist::Normal>(c, {"max_val"}, {0.3, 1.5});
}

template <OpKind K, Dist DA, Dist DB> void binary(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape full = c.shape(0, 3);
    Node *a = c.input(c.coin() ? full : c.broadcastable(full), DA);
    Node *b = c.input(c.broadcastable(full), DB);
    // pow and div keep their base / denominator in the safe domain.
    bool swap = K != OpKind::Pow && K != OpKind::Div && c.coin();
    c.output(swap ? c.op(K, {V(b), V(a)}) : c.op(K, {V(a), V(b)}));
  }
  // A tensor with a scalar literal on either side.
  Node *x = c.input(c.shape(1, 2), DA == DB ? DA : Dist::Positive);
  c.output(c.op(K, {V(x), L(DB == Dist::Normal ? -0.75 : 1.5)}));
  if (K != OpKind::Pow) c.output(c.op(K, {L(1.25), V(x)}));
}

void powScalars(Case &c) {
  // x ** e for the exponents PyTorch special-cases, and 2 ** x.
  for (double e : {2.0, 3.0, 0.5, -1.5, 1.0, 0.0}) {
    Node *x = c.input(c.shape(0, 2), Dist::Positive);
    c.output(c.op(OpKind::Pow, {V(x), L(e)}));
  }
  Node *n = c.input(c.shape(1, 2), Dist::Normal);
  c.output(c.op(OpKind::Pow, {V(n), L(2)}));   // negative bases, integer e
  c.output(c.op(OpKind::Pow, {L(2), V(n)}));   // PowBackward2
  c.output(c.op(OpKind::Pow, {L(0.5), V(n)}));
}

void compareWhere(Case &c) {
  // Comparisons have no gradient; where routes the gradient through them.
  const OpKind cmp[] = {OpKind::Lt, OpKind::Le, OpKind::Gt,
                        OpKind::Ge, OpKind::Eq, OpKind::Ne};
  for (OpKind k : cmp) {
    Shape full = c.shape(1, 3);
    Node *a = c.input(full), *b = c.input(c.broadcastable(full));
    Node *m = c.op(k, {V(a), V(b)});
    c.output(c.op(OpKind::Where, {V(m), V(a), V(b)}));
  }
  // A condition that does not depend on the differentiated inputs, and
  // literal branches.
  Shape full = c.shape(1, 3);
  Node *cond = c.op(OpKind::Gt, {V(c.input(c.broadcastable(full), Dist::Normal, false)), L(0)});
  Node *a = c.input(full), *b = c.input(c.broadcastable(full));
  c.output(c.op(OpKind::Where, {V(cond), V(a), V(b)}));
  c.output(c.op(OpKind::Where, {V(cond), L(1.5), V(b)}));
  c.output(c.op(OpKind::Where, {V(cond), V(a), L(-2)}));
}

void detachNoGrad(Case &c) {
  // y = x * detach(x): PyTorch's gradient is detach(x) = x, not 2x.
  Node *x = c.input(c.shape(0, 3));
  Node *d = c.op(OpKind::Detach, {V(x)});
  c.output(c.op(OpKind::Mul, {V(x), V(d)}));
  // A no_grad region in the middle of a chain.
  Node *y = c.input(c.shape(1, 3));
  Node *e = c.op(OpKind::Exp, {V(y)}, {}, true);
  Node *s = c.op(OpKind::Sin, {V(y)});
  c.output(c.op(OpKind::Add, {V(c.op(OpKind::Mul, {V(s), V(e)})), V(s)}));
}

// --- reductions -------------------------------------------------------

/// A random `dim` attribute for a tensor of `rank`: an int or a list, some
/// dims negative; or none at all.
AttrMap reduceAttrs(Case &c, int64_t rank, bool allowNone, bool single) {
  AttrMap a;
  if (c.coin()) a["keepdim"] = true;
  if (allowNone && c.randInt(0, 3) == 0) return a;
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < rank; ++d)
    if (c.coin()) dims.push_back(c.coin() ? d : d - rank);
  if (dims.empty() || single) dims = {c.randInt(-rank, rank - 1)};
  if (dims.size() == 1 && c.coin())
    a["dim"] = dims[0];
  else
    a["dim"] = dims;
  return a;
}

template <OpKind K> void reduction(Case &c) {
  for (int v = 0; v < kVariants + 1; ++v) {
    Shape s = c.shape(1, 4);
    Node *x = c.input(s);
    c.output(c.op(K, {V(x)}, reduceAttrs(c, static_cast<int64_t>(s.size()), true,
                                         false)));
  }
  // Every attribute form, whatever the random draws: an int, a negative
  // int, a list with a negative entry, keepdim on and off.
  using Dims = std::vector<int64_t>;
  const AttrMap forms[] = {
      {{"dim", int64_t(1)}},
      {{"dim", int64_t(-1)}, {"keepdim", true}},
      {{"dim", Dims{0, -1}}},
      {{"dim", Dims{-3, 1}}, {"keepdim", true}},
      {{"keepdim", false}}};
  for (const AttrMap &a : forms) c.output(c.op(K, {V(c.input({2, 3, 4}))}, a));
  Node *x = c.input(c.shape(2, 3));
  c.output(c.op(K, {V(x)}));                                // over everything
  c.output(c.op(K, {V(x)}, {{"dim", std::vector<int64_t>{}}})); // [] = all
  Node *s = c.input({});                                   // a scalar
  c.output(c.op(K, {V(s)}, {{"dim", int64_t(0)}}));
}

template <OpKind K> void extremum(Case &c) {
  // max(dim) (index semantics), max() (even split), amax(dims).
  for (int v = 0; v < kVariants; ++v) {
    Shape s = c.shape(1, 3);
    int64_t r = static_cast<int64_t>(s.size());
    c.output(c.op(K, {V(c.input(s))}, reduceAttrs(c, r, false, true)));
    c.output(c.op(K, {V(c.input(s))}, reduceAttrs(c, r, false, false)));
  }
  c.output(c.op(K, {V(c.input(c.shape(1, 3)))}));
}

// --- shape ops --------------------------------------------------------

void reshapeCase(Case &c) {
  Node *x = c.input({2, 3, 4});
  c.output(c.op(OpKind::Reshape, {V(x)}, {{"shape", std::vector<int64_t>{4, -1}}}));
  Node *t = c.op(OpKind::Transpose, {V(x)}, {{"dim0", int64_t(0)}, {"dim1", int64_t(2)}});
  c.output(c.op(OpKind::Reshape, {V(t)}, {{"shape", std::vector<int64_t>{24}}}));
  Node *s = c.input({});
  c.output(c.op(OpKind::Reshape, {V(s)}, {{"shape", std::vector<int64_t>{1, 1}}}));
}

void transposePermute(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape s = c.shape(1, 4);
    int64_t r = static_cast<int64_t>(s.size());
    Node *x = c.input(s);
    c.output(c.op(OpKind::Transpose, {V(x)},
                  {{"dim0", c.randInt(-r, r - 1)}, {"dim1", c.randInt(-r, r - 1)}}));
    std::vector<int64_t> p;
    for (int64_t d = 0; d < r; ++d) p.push_back(d);
    std::shuffle(p.begin(), p.end(), std::mt19937(static_cast<unsigned>(c.randInt(0, 1000))));
    if (c.coin()) p[0] -= r;
    c.output(c.op(OpKind::Permute, {V(c.input(s))}, {{"dims", p}}));
  }
}

void expandCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape full = c.shape(1, 4);
    Shape src = c.broadcastable(full);
    std::vector<int64_t> target = full;
    // -1 keeps a dimension as it is.
    size_t lead = full.size() - src.size();
    for (size_t d = 0; d < src.size(); ++d)
      if (c.coin()) target[d + lead] = src[d] == full[d + lead] ? -1 : full[d + lead];
    c.output(c.op(OpKind::Expand, {V(c.input(src))}, {{"shape", target}}));
  }
}

void squeezeUnsqueeze(Case &c) {
  Node *x = c.input({1, 3, 1, 2});
  c.output(c.op(OpKind::Squeeze, {V(x)}));
  c.output(c.op(OpKind::Squeeze, {V(c.input({1, 3, 1, 2}))}, {{"dim", int64_t(-2)}}));
  c.output(c.op(OpKind::Squeeze, {V(c.input({2, 3}))}, {{"dim", int64_t(0)}})); // no-op
  for (int64_t d : {0, 2, -1, -3})
    c.output(c.op(OpKind::Unsqueeze, {V(c.input({2, 3}))}, {{"dim", d}}));
  c.output(c.op(OpKind::Unsqueeze, {V(c.input({}))}, {{"dim", int64_t(0)}}));
}

void concatCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape s = c.shape(1, 3);
    int64_t r = static_cast<int64_t>(s.size());
    int64_t d = c.randInt(-r, r - 1);
    std::vector<BuildOperand> parts;
    int64_t n = c.randInt(1, 3);
    for (int64_t i = 0; i < n; ++i) {
      Shape p = s;
      p[d < 0 ? d + r : d] = c.randInt(1, 3);
      parts.push_back(V(c.input(p)));
    }
    parts.push_back(parts[0]); // the same operand twice
    c.output(c.op(OpKind::Concat, parts, {{"dim", d}}));
  }
}

void sliceCase(Case &c) {
  for (int v = 0; v < kVariants + 2; ++v) {
    Shape s = c.shape(1, 3, 6);
    int64_t r = static_cast<int64_t>(s.size());
    int64_t d = c.randInt(0, r - 1), n = s[d];
    AttrMap a = {{"dim", c.coin() ? d : d - r}};
    if (c.coin()) a["start"] = c.randInt(-n, n - 1);
    if (c.coin()) a["end"] = c.randInt(-n, n + 2);
    if (c.coin()) a["step"] = c.randInt(1, 3);
    c.output(c.op(OpKind::Slice, {V(c.input(s))}, a));
  }
}

// --- linear algebra and losses ---------------------------------------

void matmulCase(Case &c) {
  // torch.matmul's rank combinations, incl. broadcast batch dims.
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{4}, {4}},          {{4}, {4, 3}},          {{2, 4}, {4}},
      {{2, 4}, {4, 3}},    {{2, 2, 4}, {2, 4, 3}}, {{2, 3, 4}, {4, 2}},
      {{3, 4}, {2, 4, 2}}, {{4}, {2, 4, 3}},       {{2, 3, 4}, {4}},
      {{2, 1, 3, 4}, {3, 4, 2}}, {{1, 2, 4}, {3, 1, 4, 2}}};
  for (const auto &ab : shapes)
    c.output(c.op(OpKind::Matmul, {V(c.input(ab.first)), V(c.input(ab.second))}));
}

template <OpKind K> void softmaxCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape s = c.shape(1, 3, 5);
    int64_t r = static_cast<int64_t>(s.size());
    c.output(c.op(K, {V(c.input(s))}, {{"dim", c.randInt(-r, r - 1)}}));
  }
  c.output(c.op(K, {V(c.input({}))}, {{"dim", int64_t(0)}}));
}

void crossEntropyCase(Case &c) {
  for (const char *red : {"mean", "sum", "none"}) {
    int64_t n = c.randInt(1, 5), k = c.randInt(2, 6);
    Node *x = c.input({n, k});
    Node *t = c.labels({n}, k, true, c.coin() ? DType::I64 : DType::I32);
    c.output(c.op(OpKind::CrossEntropy, {V(x), V(t)}, {{"reduction", std::string(red)}}));
  }
  // Mean over all rows, no ignored ones; 1-D logits with a scalar target.
  Node *x = c.input({4, 3});
  c.output(c.op(OpKind::CrossEntropy, {V(x), V(c.labels({4}, 3, false))}));
  Node *v = c.input({5});
  c.output(c.op(OpKind::CrossEntropy, {V(v), V(c.labels({}, 5, false))}));
  // A custom ignore_index.
  Node *w = c.input({3, 4});
  c.output(c.op(OpKind::CrossEntropy, {V(w), V(c.labels({3}, 4, false))},
                {{"ignore_index", int64_t(1)}}));
}

void mseCase(Case &c) {
  for (const char *red : {"mean", "sum", "none"}) {
    Shape full = c.shape(0, 3);
    Node *a = c.input(full), *b = c.input(c.broadcastable(full));
    c.output(c.op(OpKind::MseLoss, {V(a), V(b)}, {{"reduction", std::string(red)}}));
  }
  Node *a = c.input(c.shape(1, 2));
  c.output(c.op(OpKind::MseLoss, {V(a), L(0.5)}));
}

// --- convolution, pooling, normalization ------------------------------

/// An int-or-pair attribute drawn at random in [lo, hi].
Attr intOrPair(Case &c, int64_t lo, int64_t hi) {
  if (c.coin()) return c.randInt(lo, hi);
  return std::vector<int64_t>{c.randInt(lo, hi), c.randInt(lo, hi)};
}

void conv2dCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    int64_t groups = c.randInt(1, 2);
    int64_t cin = groups * c.randInt(1, 2), cout = groups * c.randInt(1, 2);
    int64_t kh = c.randInt(1, 3), kw = c.randInt(1, 3);
    AttrMap a = {{"groups", groups}};
    int mode = static_cast<int>(c.randInt(0, 3));
    if (mode == 0) {
      a["padding"] = std::string("same"); // stride 1; even kernels pad unevenly
    } else {
      a["stride"] = intOrPair(c, 1, 2);
      a["padding"] = mode == 1 ? Attr(std::string("valid")) : intOrPair(c, 0, 1);
    }
    a["dilation"] = intOrPair(c, 1, 2);
    Node *x = c.input({c.randInt(1, 2), cin, c.randInt(5, 6), c.randInt(5, 6)});
    Node *w = c.input({cout, cin / groups, kh, kw});
    std::vector<BuildOperand> ops = {V(x), V(w)};
    if (c.coin()) ops.push_back(V(c.input({cout})));
    c.output(c.op(OpKind::Conv2d, ops, a));
  }
}

void conv1dCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    int64_t groups = c.randInt(1, 2);
    int64_t cin = groups * c.randInt(1, 2), cout = groups * c.randInt(1, 2);
    AttrMap a = {{"groups", groups}, {"dilation", c.randInt(1, 2)}};
    if (c.coin()) a["padding"] = std::string("same");
    else a["stride"] = c.randInt(1, 2), a["padding"] = c.randInt(0, 1);
    Node *x = c.input({c.randInt(1, 2), cin, c.randInt(5, 8)});
    Node *w = c.input({cout, cin / groups, c.randInt(1, 3)});
    std::vector<BuildOperand> ops = {V(x), V(w)};
    if (c.coin()) ops.push_back(V(c.input({cout})));
    c.output(c.op(OpKind::Conv1d, ops, a));
  }
}

/// Pooling with random kernel, stride, padding (at most half the kernel),
/// dilation (max only) and ceil_mode. Max pooling's normal inputs have no
/// ties, and the finite-difference step is far below their typical gaps.
template <OpKind K> void poolCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    int64_t kh = c.randInt(1, 3), kw = c.randInt(1, 3);
    AttrMap a = {{"kernel_size", std::vector<int64_t>{kh, kw}}};
    if (c.coin()) a["stride"] = intOrPair(c, 1, 2);
    if (c.coin()) a["padding"] = std::vector<int64_t>{c.randInt(0, kh / 2), c.randInt(0, kw / 2)};
    if (K == OpKind::MaxPool2d && c.coin()) a["dilation"] = intOrPair(c, 1, 2);
    if (c.coin()) a["ceil_mode"] = true;
    if (K == OpKind::AvgPool2d && c.coin()) a["count_include_pad"] = false;
    c.output(c.op(K, {V(c.input({c.randInt(1, 2), c.randInt(1, 2), c.randInt(5, 7),
                                 c.randInt(5, 7)}))}, a));
  }
}

void adaptivePoolCase(Case &c) {
  for (int v = 0; v < kVariants; ++v)
    c.output(c.op(OpKind::AdaptiveAvgPool2d,
                  {V(c.input({c.randInt(1, 2), c.randInt(1, 2), c.randInt(1, 7),
                              c.randInt(1, 7)}))},
                  {{"output_size", intOrPair(c, 1, 4)}}));
}

void layerNormCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape s = c.shape(1, 3, 4);
    size_t k = static_cast<size_t>(c.randInt(1, static_cast<int64_t>(s.size())));
    Shape ns(s.end() - k, s.end());
    std::vector<BuildOperand> ops = {V(c.input(s))};
    int64_t affine = c.randInt(0, 2); // none, weight, weight and bias
    for (int64_t i = 0; i < affine; ++i) ops.push_back(V(c.input(ns)));
    AttrMap a = {{"normalized_shape", ns}};
    if (c.coin()) a["eps"] = 1e-3;
    c.output(c.op(OpKind::LayerNorm, ops, a));
  }
}

void groupNormCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    int64_t groups = c.randInt(1, 3);
    // At least two values per group and sample (PyTorch requires more than one).
    Shape s = {c.randInt(1, 2), groups * c.randInt(1, 2), c.randInt(2, 3)};
    if (c.coin()) s.push_back(c.randInt(1, 3));
    std::vector<BuildOperand> ops = {V(c.input(s))};
    for (int64_t i = c.randInt(0, 2); i > 0; --i) ops.push_back(V(c.input({s[1]})));
    AttrMap a = {{"num_groups", groups}};
    if (c.coin()) a["eps"] = 1e-3;
    c.output(c.op(OpKind::GroupNorm, ops, a));
  }
}

void mlpStep(Case &c) {
  // A small classifier: relu(x W1 + b1) W2 + b2, cross-entropy.
  Node *x = c.input({5, 6}, Dist::Normal, false);
  Node *w1 = c.input({6, 4}), *b1 = c.input({4});
  Node *w2 = c.input({4, 3}), *b2 = c.input({3});
  Node *h = c.op(OpKind::Relu, {V(c.op(OpKind::Add, {V(c.op(OpKind::Matmul, {V(x), V(w1)})), V(b1)}))});
  Node *z = c.op(OpKind::Add, {V(c.op(OpKind::Matmul, {V(h), V(w2)})), V(b2)});
  c.output(c.op(OpKind::CrossEntropy, {V(z), V(c.labels({5}, 3, false))}));
}

/// Gradients as values, differentiated again (grad of grad): a gradient
/// penalty through matmul, a strided slice and cross_entropy, whose
/// backward helpers (_gemm, _slice_backward, _cross_entropy_backward) are
/// rewritten into differentiable ops.
void gradCase(Case &c) {
  Node *x = c.input({4, 5}), *w = c.input({5, 3});
  Node *h = c.op(OpKind::Tanh, {V(c.op(OpKind::Matmul, {V(x), V(w)}))});
  Node *s = c.op(OpKind::Slice, {V(h)},
                 {{"dim", int64_t(1)}, {"start", int64_t(0)}, {"end", int64_t(3)},
                  {"step", int64_t(2)}});
  Node *loss = c.op(OpKind::CrossEntropy, {V(s), V(c.labels({4}, 2, true))});
  Node *gw = c.op(OpKind::Grad, {V(loss), V(w)});
  c.output(c.op(OpKind::Sum, {V(c.op(OpKind::Mul, {V(gw), V(gw)}))}));
  c.output(c.op(OpKind::Grad, {V(loss), V(x)}));
}

/// logsumexp, var, std, norm over random dims (var/std: random correction
/// or unbiased); values are N(0, 1), so no norm or std is 0.
template <OpKind K> void statistic(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape s = c.shape(1, 3);
    AttrMap a = reduceAttrs(c, static_cast<int64_t>(s.size()), K != OpKind::Logsumexp, false);
    if ((K == OpKind::Var || K == OpKind::Std) && c.coin()) {
      if (c.coin()) a["correction"] = int64_t(0);
      else a["unbiased"] = c.coin();
    }
    // var/std of one element with Bessel's correction divide by 0.
    int64_t n = 1;
    std::vector<int64_t> dims = getInts(a, "dim", {});
    if (!a.count("dim")) for (int64_t d = 0; d < int64_t(s.size()); ++d) dims.push_back(d);
    for (int64_t d : dims) n *= s[d < 0 ? d + s.size() : d];
    if (n < 2 && K != OpKind::Logsumexp) s.insert(s.begin(), 2), a.erase("dim"), a.erase("keepdim");
    c.output(c.op(K, {V(c.input(s))}, a));
  }
}

/// argmax/argmin have no gradient: an integer output beside a
/// differentiable one of the same input.
void argExtremum(Case &c) {
  for (OpKind k : {OpKind::Argmax, OpKind::Argmin}) {
    Node *x = c.input(c.shape(1, 3));
    AttrMap a;
    if (c.coin()) a["dim"] = c.randInt(-x->type.rank(), x->type.rank() - 1);
    if (c.coin()) a["keepdim"] = true;
    c.output(c.op(k, {V(x)}, a));
    c.output(c.op(OpKind::Mul, {V(x), L(2)}));
  }
}

/// triu/tril of random matrices and batches, diagonal in [-2, 2] or absent.
template <OpKind K> void triangleCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    AttrMap a;
    if (c.coin()) a["diagonal"] = c.randInt(-2, 2);
    c.output(c.op(K, {V(c.input(c.shape(2, 3)))}, a));
  }
}

/// cumsum along a random (possibly negative) dim.
void cumsumCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape s = c.shape(0, 3);
    int64_t r = std::max<int64_t>(1, static_cast<int64_t>(s.size()));
    c.output(c.op(OpKind::Cumsum, {V(c.input(s))}, {{"dim", c.randInt(-r, r - 1)}}));
  }
}

/// masked_fill with a mask from a comparison, of x's shape or broadcast.
void maskedFillCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape full = c.shape(1, 3);
    Node *x = c.input(full);
    Node *m = c.op(OpKind::Gt, {V(c.input(c.broadcastable(full), Dist::Normal, false)), L(0)});
    c.output(c.op(OpKind::MaskedFill, {V(x), V(m)}, {{"value", c.coin() ? -1e9 : 0.5}}));
  }
}

// --- indexing ----------------------------------------------------------
// Indices are random in range, in i64 or i32; repeated indices make the
// backward scatter-adds sum.

DType indexType(Case &c) { return c.coin() ? DType::I64 : DType::I32; }

/// embedding of a random index shape; padding_idx (when set) is a row no
/// index names, so its zero gradient is also the true derivative.
void embeddingCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    int64_t rows = c.randInt(2, 5), dim = c.randInt(1, 4);
    bool pad = c.coin();
    Node *idx = c.labels(c.shape(0, 2), pad ? rows - 1 : rows, false, indexType(c));
    AttrMap a;
    if (pad) a["padding_idx"] = c.coin() ? rows - 1 : int64_t(-1);
    c.output(c.op(OpKind::Embedding, {V(idx), V(c.input({rows, dim}))}, a));
  }
}

/// index_select along a random dim with a random count of indices.
void indexSelectCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape s = c.shape(1, 3);
    int64_t r = static_cast<int64_t>(s.size()), d = c.randInt(-r, r - 1);
    int64_t n = s[d < 0 ? d + r : d];
    Node *idx = c.labels({c.randInt(0, 5)}, n, false, indexType(c));
    c.output(c.op(OpKind::IndexSelect, {V(c.input(s)), V(idx)}, {{"dim", d}}));
  }
}

/// gather along a random dim with an index no larger than the input.
void gatherCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape s = c.shape(1, 3);
    int64_t r = static_cast<int64_t>(s.size()), d = c.randInt(-r, r - 1);
    Shape is = s;
    for (int64_t k = 0; k < r; ++k)
      is[k] = k == (d < 0 ? d + r : d) ? c.randInt(1, 5) : c.randInt(1, s[k]);
    Node *idx = c.labels(is, s[d < 0 ? d + r : d], false, indexType(c));
    c.output(c.op(OpKind::Gather, {V(c.input(s)), V(idx)}, {{"dim", d}}));
  }
}

/// select at a random (possibly negative) index of a random dim.
void selectCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Shape s = c.shape(1, 3);
    int64_t r = static_cast<int64_t>(s.size()), d = c.randInt(-r, r - 1);
    int64_t n = s[d < 0 ? d + r : d];
    c.output(c.op(OpKind::Select, {V(c.input(s))},
                  {{"dim", d}, {"index", c.randInt(-n, n - 1)}}));
  }
}

/// one_hot has no gradient: an i64 output beside a differentiable one.
void oneHotCase(Case &c) {
  int64_t classes = c.randInt(1, 5);
  Node *t = c.labels(c.shape(0, 2), classes, false, indexType(c));
  c.output(c.op(OpKind::OneHot, {V(t)}, {{"num_classes", classes}}));
  c.output(c.op(OpKind::Mul, {V(c.input(c.shape(0, 2))), L(2)}));
}

// --- tensor factories -------------------------------------------------
// No gradient of their own: each is used in a product with an input, so
// the input's gradient carries the factory's values.

/// arange with integer or float bounds, either sign of step; a float one
/// in the case's dtype scales an input.
void arangeCase(Case &c) {
  c.output(c.op(OpKind::Arange, {}, {{"end", int64_t(4)}}));
  c.output(c.op(OpKind::Arange, {},
                {{"start", int64_t(5)}, {"end", int64_t(-1)}, {"step", int64_t(-2)}}));
  Node *x = c.input({5});
  AttrMap a = {{"start", 0.5}, {"end", 1.75}, {"step", 0.25},
               {"dtype", std::string(dtypeName(x->type.dtype))}};
  c.output(c.op(OpKind::Mul, {V(x), V(c.op(OpKind::Arange, {}, a))}));
}

/// full in the case's dtype scales an input; an integer one is i64.
void fullCase(Case &c) {
  Shape s = c.shape(0, 3);
  Node *x = c.input(s);
  Node *f = c.op(OpKind::Full, {}, {{"size", s}, {"fill_value", 0.75},
                                    {"dtype", std::string(dtypeName(x->type.dtype))}});
  c.output(c.op(OpKind::Mul, {V(x), V(f)}));
  c.output(c.op(OpKind::Full, {}, {{"size", s}, {"fill_value", int64_t(3)}}));
}

template <OpKind K> void fillLikeCase(Case &c) {
  for (int v = 0; v < kVariants; ++v) {
    Node *x = c.input(c.shape(0, 3));
    // x * ones_like(x) + zeros_like(x): x's gradient passes, the fill's
    // operand gets none through it.
    c.output(c.op(OpKind::Add, {V(x), V(c.op(K, {V(x)}))}));
  }
}

const std::vector<OpCaseRow> kCases = {
    {"neg", unary<OpKind::Neg, Dist::Normal>},
    {"exp", unary<OpKind::Exp, Dist::Normal>},
    {"log", unary<OpKind::Log, Dist::Positive>},
    {"sqrt", unary<OpKind::Sqrt, Dist::Positive>},
    {"abs", unary<OpKind::Abs, Dist::NonZero>},
    {"sin", unary<OpKind::Sin, Dist::Normal>},
    {"cos", unary<OpKind::Cos, Dist::Normal>},
    {"tanh", unary<OpKind::Tanh, Dist::Normal>},
    {"sigmoid", unary<OpKind::Sigmoid, Dist::Normal>},
    {"relu", unary<OpKind::Relu, Dist::NonZero>},
    {"sign", unary<OpKind::Sign, Dist::NonZero>},
    {"square", squareCase},
    {"gelu", geluCase},
    {"silu", unary<OpKind::Silu, Dist::Normal>},
    {"leaky_relu", leakyReluCase},
    {"elu", eluCase},
    {"softplus", softplusCase},
    {"erf", unary<OpKind::Erf, Dist::Normal>},
    {"log1p", unary<OpKind::Log1p, Dist::Positive>},
    {"expm1", unary<OpKind::Expm1, Dist::Normal>},
    {"rsqrt", unary<OpKind::Rsqrt, Dist::Positive>},
    {"reciprocal", unary<OpKind::Reciprocal, Dist::NonZero>},
    {"clamp", clampCase},
    {"hardtanh", hardtanhCase},
    {"add", binary<OpKind::Add, Dist::Normal, Dist::Normal>},
    {"sub", binary<OpKind::Sub, Dist::Normal, Dist::Normal>},
    {"mul", binary<OpKind::Mul, Dist::Normal, Dist::Normal>},
    {"div", binary<OpKind::Div, Dist::Normal, Dist::NonZero>},
    {"pow", binary<OpKind::Pow, Dist::Positive, Dist::Normal>},
    {"pow_scalar", powScalars},
    {"maximum", binary<OpKind::Maximum, Dist::Normal, Dist::Normal>},
    {"minimum", binary<OpKind::Minimum, Dist::Normal, Dist::Normal>},
    {"compare_where", compareWhere},
    {"detach_no_grad", detachNoGrad},
    {"sum", reduction<OpKind::Sum>},
    {"mean", reduction<OpKind::Mean>},
    {"max", extremum<OpKind::Max>},
    {"min", extremum<OpKind::Min>},
    {"logsumexp", statistic<OpKind::Logsumexp>},
    {"var", statistic<OpKind::Var>},
    {"std", statistic<OpKind::Std>},
    {"norm", statistic<OpKind::Norm>},
    {"argmax_argmin", argExtremum},
    {"cumsum", cumsumCase},
    {"masked_fill", maskedFillCase},
    {"triu", triangleCase<OpKind::Triu>},
    {"tril", triangleCase<OpKind::Tril>},
    {"reshape", reshapeCase},
    {"transpose_permute", transposePermute},
    {"expand", expandCase},
    {"squeeze_unsqueeze", squeezeUnsqueeze},
    {"concat", concatCase},
    {"slice", sliceCase},
    {"matmul", matmulCase},
    {"softmax", softmaxCase<OpKind::Softmax>},
    {"log_softmax", softmaxCase<OpKind::LogSoftmax>},
    {"cross_entropy", crossEntropyCase},
    {"embedding", embeddingCase},
    {"index_select", indexSelectCase},
    {"gather", gatherCase},
    {"select", selectCase},
    {"one_hot", oneHotCase},
    {"arange", arangeCase},
    {"full", fullCase},
    {"zeros_like", fillLikeCase<OpKind::ZerosLike>},
    {"ones_like", fillLikeCase<OpKind::OnesLike>},
    {"mse_loss", mseCase},
    {"nll_loss", nllLossCase},
    {"cross_entropy_weight_smoothing", crossEntropyFullCase},
    {"l1_loss", l1LossCase},
    {"smooth_l1_loss", smoothL1LossCase},
    {"huber_loss", huberLossCase},
    {"binary_cross_entropy", bceCase},
    {"binary_cross_entropy_with_logits", bceWithLogitsCase},
    {"batch_norm", batchNormCase},
    {"dropout", dropoutCase},
    {"conv2d", conv2dCase},
    {"conv1d", conv1dCase},
    {"max_pool2d", poolCase<OpKind::MaxPool2d>},
    {"avg_pool2d", poolCase<OpKind::AvgPool2d>},
    {"adaptive_avg_pool2d", adaptivePoolCase},
    {"layer_norm", layerNormCase},
    {"group_norm", groupNormCase},
    {"mlp_step", mlpStep},
    {"grad", gradCase},
};

} // namespace

const std::vector<OpCaseRow> &gradc::test::opCases() { return kCases; }
