//===- codegen/StatReductionEmitter.cpp - logsumexp, var, std, norm, arg* --===//
//
// The reductions whose result is not one running sum: logsumexp (max, then
// a sum of exponentials shifted by it), var and std (the mean, then the
// squared deviations: the two-pass form, which does not cancel as
// E[x^2] - E[x]^2 does), the 2-norm, and argmax/argmin (index of the first
// extremum; NaN counts as the extremum, as in PyTorch). Each result element
// k walks the reduced elements r of its slice; floats accumulate in double.
//
//===----------------------------------------------------------------------===//
#include "codegen/OpEmitter.h"

#include "codegen/CodeWriter.h"
#include "codegen/EmitUtil.h"
#include "ir/Error.h"

#include <algorithm>

namespace gradc {
namespace {

std::string ll(int64_t v) { return std::to_string(v) + "LL"; }

/// The offset expression of the elements of `dims` (sizes and input
/// strides) at the flat index `var` over those dims, row-major. A dim of
/// extent 1 keeps its (zero) term, so that the expression has the same
/// form at every size (runtime/CodeTemplate.h).
std::string offsetOf(const std::vector<int64_t> &dims, const Shape &shape,
                     const std::vector<int64_t> &strides, const std::string &var) {
  std::string e;
  int64_t div = 1;
  for (size_t j = dims.size(); j-- > 0;) {
    int64_t d = dims[j];
    std::string idx = j + 1 == dims.size() ? var : "(" + var + " / " + ll(div) + ")";
    if (j != 0) idx = "(" + idx + " % " + ll(shape[d]) + ")";
    e += (e.empty() ? "" : " + ") + idx + " * " + ll(strides[d]);
    div *= shape[d];
  }
  return e.empty() ? "0LL" : e;
}

} // namespace

std::string OpEmitter::statReduction(const Node *n) {
  const Node *x = n->operands[0];
  const Shape &xs = x->type.shape;
  int64_t rank = x->type.rank();
  std::vector<int64_t> red;
  if (n->attrs.count("dim")) {
    red = getInts(n->attrs, "dim", {});
  } else {
    for (int64_t d = 0; d < rank; ++d) red.push_back(d);
  }
  std::vector<int64_t> kept;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (std::find(red.begin(), red.end(), d) != red.end()) inner *= xs[d];
    else kept.push_back(d), outer *= xs[d];
  }
  std::vector<int64_t> st = rowMajorStrides(xs);
  ValueRef xv = valueOf_(x);
  std::string X = xv.isSplat() ? xv.literal
                               : xv.ptr + "[base + " + offsetOf(red, xs, st, "r") + "]";
  std::string T = dtypeCppName(x->type.dtype), Y = ptrOf(n);
  CodeWriter w;
  w.open("for (long long k = 0; k < " + ll(outer) + "; ++k)");
  w.line("long long base = " + offsetOf(kept, xs, st, "k") + ";");
  w.line("(void)base;");
  // Opens the walk over the reduced elements r of slice k.
  const std::string loop = "for (long long r = 0; r < " + ll(inner) + "; ++r)";
  std::string yT = dtypeCppName(n->type.dtype);
  // OpEmitter::emit sends exactly these ops here (from its exhaustive switch
  // over the special ops), so a chain of tests names them and any other op
  // is an internal error.
  OpKind k = n->op;
  if (k == OpKind::Logsumexp) {
    // m = max (NaN wins); an infinite m shifts by 0 instead (PyTorch).
    w.line("double m = -1.0 / 0.0;");
    w.open(loop);
    w.line("double v = " + X + ";");
    w.line("if (v > m || v != v) m = v;");
    w.close();
    w.line("double sh = (m - m == 0) ? m : 0.0, s = 0;");
    w.open(loop);
    w.line("s += exp((double)" + X + " - sh);");
    w.close();
    w.line(Y + "[k] = (" + yT + ")(log(s) + sh);");
  } else if (k == OpKind::Var || k == OpKind::Std) {
    int64_t dof = std::max<int64_t>(0, inner - getInt(n->attrs, "correction", 1));
    w.line("double s = 0;");
    w.open(loop);
    w.line("s += " + X + ";");
    w.close();
    w.line("double mean = s / " + std::to_string(inner) + ".0, q = 0;");
    w.open(loop);
    w.line("double d = (double)" + X + " - mean;");
    w.line("q += d * d;");
    w.close();
    std::string v = "q / " + std::to_string(dof) + ".0";
    if (n->op == OpKind::Std) v = "sqrt(" + v + ")";
    w.line(Y + "[k] = (" + yT + ")(" + v + ");");
  } else if (k == OpKind::Norm) {
    w.line("double q = 0;");
    w.open(loop);
    w.line("double v = " + X + ";");
    w.line("q += v * v;");
    w.close();
    w.line(Y + "[k] = (" + yT + ")sqrt(q);");
  } else if (k == OpKind::Argmax || k == OpKind::Argmin) {
    // The first extremum; once a NaN is found it stays the answer.
    std::string better = n->op == OpKind::Argmax ? ">" : "<";
    w.line(T + " best = 0; long long at = 0;");
    w.open(loop);
    w.line(T + " v = " + X + ";");
    w.open("if (r == 0 || (best == best && (v " + better + " best || v != v)))");
    w.line("best = v;");
    w.line("at = r;");
    w.close();
    w.close();
    w.line(Y + "[k] = at;");
  } else {
    throw InternalError("codegen", std::string("'") + n->info().name +
                                       "' is not a statistical reduction");
  }
  w.close();
  return w.str();
}

} // namespace gradc
