//===- codegen/NllLossEmitter.cpp - nll_loss and its backward -------------===//
//
// nll_loss reads, for each sample i and position s of an input laid out as
// [outer, C, inner] ([C] is outer = inner = 1), the element of the target
// class t = target[i, s]: loss = -w[t] x[i, t, s] (w = 1 without weights).
// "mean" divides the sum by the sum of w[t] over the counted positions
// (PyTorch's weighted mean: 0 / 0 = NaN when every target is ignored).
//
// A position whose target is ignore_index is left out (loss 0, weight 0).
// So is a target outside [0, C), which reads and writes nothing; the
// forward reports it through the entry points' status for bad indices
// (reportBadIndex), naming the node and the value.
//
// _nll_loss_backward writes zeros, then -w[t] scale at each counted
// position's target class, with scale = g (sum), g / sum of w[t] (mean) or
// g[i, s] (none).
//
//===----------------------------------------------------------------------===//
#include "codegen/OpEmitter.h"

#include "codegen/CodeWriter.h"
#include "codegen/EmitUtil.h"

namespace gradc {
namespace {

using emit::num;

/// The [outer, C, inner] view of an nll_loss input, and its attributes.
struct NllLayout {
  int64_t outer = 1, classes = 1, inner = 1, ignore = -100;
  std::string reduction;
  NllLayout(const Node *n, const Node *x) {
    const Shape &s = x->type.shape;
    if (s.size() == 1) {
      classes = s[0];
    } else {
      outer = s[0];
      classes = s[1];
      for (size_t d = 2; d < s.size(); ++d) inner *= s[d];
    }
    ignore = getInt(n->attrs, "ignore_index", -100);
    reduction = getString(n->attrs, "reduction", "mean");
  }
};

/// An element of a value: its splat literal or ptr[index].
std::string elemOf(const ValueRef &v, const std::string &index) {
  return v.isSplat() ? v.literal : v.ptr + "[" + index + "]";
}

} // namespace

/// The loop over (i, s) shared by both kernels: defines ti, use and w,
/// then runs `body` (statements, indented by the loop's scope).
static std::string nllPositions(const NllLayout &L, const ValueRef &t,
                                const ValueRef *w, const std::string &body) {
  CodeWriter c;
  c.line("for (long long i = 0; i < " + num(L.outer) + "; ++i)");
  c.open("for (long long s = 0; s < " + num(L.inner) + "; ++s)");
  c.line("long long p = i * " + num(L.inner) + " + s;");
  c.line("long long ti = (long long)" + elemOf(t, "p") + ";");
  c.line("bool use = ti != " + num(L.ignore) + " && ti >= 0 && ti < " +
         num(L.classes) + ";");
  c.line("double w = use ? " +
         (w ? "(double)" + elemOf(*w, "ti") : std::string("1.0")) + " : 0.0;");
  c.line("long long xi = (i * " + num(L.classes) + " + (use ? ti : 0)) * " +
         num(L.inner) + " + s;");
  c.lines(body);
  c.line("(void)xi; (void)w;"); // a pass may need neither
  c.close();
  return c.str();
}

std::string OpEmitter::nllLoss(const Node *n) {
  const Node *x = n->operands[0], *t = n->operands[1];
  NllLayout L(n, x);
  std::string T = dtypeCppName(n->type.dtype);
  ValueRef xv = valueOf_(x), tv = valueOf_(t);
  ValueRef wv = n->operands.size() > 2 ? valueOf_(n->operands[2]) : ValueRef{};
  bool hasW = n->operands.size() > 2;
  CodeWriter body;
  body.line("double li = use ? -w * (double)" + elemOf(xv, "xi") + " : 0.0;");
  body.line("bad |= !use && ti != " + num(L.ignore) + ";");
  if (L.reduction == "none")
    body.line(ptrOf(n) + "[p] = (" + T + ")li;");
  else
    body.line("acc += li; wsum += w;");
  CodeWriter w;
  w.open();
  w.line("double acc = 0, wsum = 0; bool bad = false;");
  w.lines(nllPositions(L, tv, hasW ? &wv : nullptr, body.str()));
  if (L.reduction != "none")
    w.line(ptrOf(n) + "[0] = (" + T + ")(" +
           (L.reduction == "mean" ? "acc / wsum" : "acc") + ");");
  // A target out of [0, C) that is not ignore_index: the status names the
  // node and the value (PyTorch raises an error).
  w.lines(reportBadIndex(n, "target", L.classes, "bad", t->type.numel(),
                         [&](const std::string &q) { return elemOf(tv, q); },
                         "v == " + num(L.ignore)));
  w.line("(void)acc; (void)wsum;");
  w.close();
  return w.str();
}

std::string OpEmitter::nllLossBackward(const Node *n) {
  const Node *g = n->operands[0], *x = n->operands[1], *t = n->operands[2];
  NllLayout L(n, x);
  std::string T = dtypeCppName(n->type.dtype);
  ValueRef gv = valueOf_(g), tv = valueOf_(t);
  bool hasW = n->operands.size() > 3;
  ValueRef wv = hasW ? valueOf_(n->operands[3]) : ValueRef{};
  const ValueRef *wp = hasW ? &wv : nullptr;
  std::string out = ptrOf(n);
  CodeWriter w;
  w.open();
  w.line("for (long long k = 0; k < " + num(x->type.numel()) + "; ++k) " + out +
         "[k] = (" + T + ")0;");
  std::string scale;
  w.line("double wsum = 0;");
  if (L.reduction == "none") {
    scale = "(double)" + elemOf(gv, "p");
  } else {
    if (L.reduction == "mean") w.lines(nllPositions(L, tv, wp, "wsum += w;"));
    scale = "(double)" + elemOf(gv, "0") + (L.reduction == "mean" ? " / wsum" : "");
  }
  w.lines(nllPositions(L, tv, wp,
                       "if (use) " + out + "[xi] = (" + T + ")(-w * " + scale + ");"));
  w.line("(void)wsum;");
  w.close();
  return w.str();
}

} // namespace gradc
