//===- codegen/CrossEntropyEmitter.cpp - cross_entropy and its backward ---===//
//
// Fused cross_entropy over class logits [N, C] (or [C]): per row, the max
// and the sum of exp(x - max) once, then loss = max + log(sum) - x[t]; the
// backward writes softmax(x) - onehot(t), scaled by the adjoint and the
// reduction. Rows whose target is ignore_index count for nothing; a target
// outside [0, C) is reported through the entry points' status.
//
//===----------------------------------------------------------------------===//
#include "codegen/OpEmitter.h"

#include "codegen/CodeWriter.h"
#include "codegen/EmitUtil.h"

#include <cmath>

namespace gradc {
namespace {

using emit::mathFn;
using emit::num;

/// Shared pieces of cross_entropy and its backward: the row layout of the
/// logits, and code computing mx (row max) and s (sum of exp(x - mx)).
struct CrossEntropyLayout {
  int64_t rows, classes, ignore;
  std::string reduction;
  CrossEntropyLayout(const Node *n, const Node *logits) {
    const Shape &s = logits->type.shape;
    rows = s.size() == 2 ? s[0] : 1;
    classes = s.back();
    ignore = getInt(n->attrs, "ignore_index", -100);
    reduction = getString(n->attrs, "reduction", "mean");
  }
};

} // namespace

std::string OpEmitter::crossEntropyRows(const Node *n, const Node *x,
                                        const Node *t,
                                        const std::string &body) {
  // For each row i: ti = target, row = its logits; ignored rows and rows
  // with an out-of-range target skip the softmax statistics.
  CrossEntropyLayout L(n, x);
  DType dt = x->type.dtype;
  std::string T = dtypeCppName(dt);
  ValueRef xv = valueOf_(x), tv = valueOf_(t);
  std::string X = xv.isSplat() ? "" : xv.ptr;
  auto row = [&](const std::string &k) {
    return X.empty() ? xv.literal : X + "[i * " + num(L.classes) + " + " + k + "]";
  };
  std::string ti = tv.isSplat() ? tv.literal : tv.ptr + "[i]";
  CodeWriter w;
  w.open("for (long long i = 0; i < " + num(L.rows) + "; ++i)");
  w.line("long long ti = (long long)" + ti + ";");
  w.line("bool ignored = ti == " + num(L.ignore) + ";");
  w.line("bool valid = !ignored && ti >= 0 && ti < " + num(L.classes) + ";");
  w.line(T + " mx = " + literal(-INFINITY, dt) + "; double s = 0;");
  w.open("if (valid)");
  w.line("for (long long k = 0; k < " + num(L.classes) + "; ++k) mx = gc_max<" + T +
         ">(mx, " + row("k") + ");");
  w.lines(emit::reassociableLoop());
  w.line("for (long long k = 0; k < " + num(L.classes) + "; ++k) s += " +
         mathFn("exp", dt) + "(" + row("k") + " - mx);");
  w.close();
  w.lines(body);
  w.close();
  return w.str();
}

std::string OpEmitter::crossEntropy(const Node *n) {
  // loss_i = mx + log(s) - x_i[t_i]; rows with t_i == ignore_index are
  // left out; a target out of range reads no logit and is reported
  // through the status (PyTorch raises an error).
  const Node *x = n->operands[0], *t = n->operands[1];
  CrossEntropyLayout L(n, x);
  DType dt = x->type.dtype;
  std::string T = dtypeCppName(dt);
  ValueRef xv = valueOf_(x);
  std::string xt = xv.isSplat() ? xv.literal
                                : xv.ptr + "[i * " + num(L.classes) + " + ti]";
  CodeWriter body;
  body.line("double li = ignored || !valid ? 0.0 : (double)mx + log(s) - (double)" + xt +
            ";");
  body.line("if (!ignored) ++cnt;");
  body.line("bad |= !ignored && !valid;");
  if (L.reduction == "none")
    body.line(ptrOf(n) + "[i] = (" + T + ")li;");
  else
    body.line("acc += li;");
  std::string fin = L.reduction == "mean" ? "acc / (double)cnt" : "acc";
  CodeWriter w;
  w.line("double acc = 0; long long cnt = 0; bool bad = false;");
  w.lines(crossEntropyRows(n, x, t, body.str()));
  if (L.reduction != "none") w.line(ptrOf(n) + "[0] = (" + T + ")(" + fin + ");");
  // A target out of [0, C) that is not ignore_index: the status names it
  // (PyTorch raises an error); the row reads no logits.
  ValueRef tv = valueOf_(t);
  w.lines(reportBadIndex(n, "target", L.classes, "bad", L.rows,
                         [&](const std::string &q) {
                           return tv.isSplat() ? tv.literal : tv.ptr + "[" + q + "]";
                         },
                         "v == " + num(L.ignore))); // ignore_index is no error
  w.line("(void)acc; (void)cnt;");
  return w.str();
}

std::string OpEmitter::crossEntropyBackward(const Node *n) {
  // dx_ik = (exp(x_ik - mx) / s - [k == t_i]) * scale_i with scale_i = g
  // (sum), g / count (mean) or g_i (none); 0 for ignored rows, NaN for
  // rows with an out-of-range target (the forward has reported it: a
  // backward runs only on a context the forward completed).
  const Node *g = n->operands[0], *x = n->operands[1], *t = n->operands[2];
  CrossEntropyLayout L(n, x);
  DType dt = x->type.dtype;
  std::string T = dtypeCppName(dt);
  ValueRef xv = valueOf_(x), tv = valueOf_(t);
  auto row = [&](const std::string &k) {
    return xv.isSplat() ? xv.literal
                        : xv.ptr + "[i * " + num(L.classes) + " + " + k + "]";
  };
  std::string gi = L.reduction == "none" ? flatAccess(g, "i") : flatAccess(g, "0");
  CodeWriter w;
  w.line("long long cnt = 0;");
  if (L.reduction == "mean") {
    std::string ti = tv.isSplat() ? tv.literal : tv.ptr + "[i]";
    w.line("for (long long i = 0; i < " + num(L.rows) + "; ++i) cnt += (long long)" +
           ti + " != " + num(L.ignore) + ";");
  }
  std::string scale = "(double)" + gi;
  if (L.reduction == "mean") scale += " / (double)cnt";
  std::string dx = ptrOf(n) + "[i * " + num(L.classes) + " + k]";
  CodeWriter body;
  body.line("double scale = ignored ? 0.0 : !valid ? __builtin_nan(\"\") : " + scale +
            ";");
  body.open("for (long long k = 0; k < " + num(L.classes) + "; ++k)");
  body.line("double p = valid ? (double)" + mathFn("exp", dt) + "(" + row("k") +
            " - mx) / s : 0.0;");
  body.line(dx + " = (" + T + ")((p - (k == ti ? 1.0 : 0.0)) * scale);");
  body.close();
  w.lines(crossEntropyRows(n, x, t, body.str()));
  w.line("(void)cnt;");
  return w.str();
}

} // namespace gradc
