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

#include "codegen/EmitUtil.h"
#include "ir/Error.h"

#include <algorithm>

namespace gradc {
namespace {

std::string ll(int64_t v) { return std::to_string(v) + "LL"; }

/// The offset expression of the elements of `dims` (sizes and input
/// strides) at the flat index `var` over those dims, row-major.
std::string offsetOf(const std::vector<int64_t> &dims, const Shape &shape,
                     const std::vector<int64_t> &strides, const std::string &var) {
  std::string e;
  int64_t div = 1;
  for (size_t j = dims.size(); j-- > 0;) {
    int64_t d = dims[j];
    if (shape[d] != 1) {
      std::string idx = div == 1 ? var : "(" + var + " / " + ll(div) + ")";
      if (j != 0) idx = "(" + idx + " % " + ll(shape[d]) + ")";
      e += (e.empty() ? "" : " + ") + idx + " * " + ll(strides[d]);
    }
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
  std::string c = "for (long long k = 0; k < " + ll(outer) + "; ++k) {\n";
  c += "  long long base = " + offsetOf(kept, xs, st, "k") + ";\n";
  c += "  (void)base;\n";
  std::string loop = "  for (long long r = 0; r < " + ll(inner) + "; ++r) {\n";
  std::string yT = dtypeCppName(n->type.dtype);
  // OpEmitter::emit sends exactly these ops here (from its exhaustive switch
  // over the special ops), so a chain of tests names them and any other op
  // is an internal error.
  OpKind k = n->op;
  if (k == OpKind::Logsumexp) {
    // m = max (NaN wins); an infinite m shifts by 0 instead (PyTorch).
    c += "  double m = -1.0 / 0.0;\n" + loop +
         "    double v = " + X + ";\n    if (v > m || v != v) m = v;\n  }\n";
    c += "  double sh = (m - m == 0) ? m : 0.0, s = 0;\n" + loop +
         "    s += exp((double)" + X + " - sh);\n  }\n";
    c += "  " + Y + "[k] = (" + yT + ")(log(s) + sh);\n";
  } else if (k == OpKind::Var || k == OpKind::Std) {
    int64_t dof = std::max<int64_t>(0, inner - getInt(n->attrs, "correction", 1));
    c += "  double s = 0;\n" + loop + "    s += " + X + ";\n  }\n";
    c += "  double mean = s / " + std::to_string(inner) + ".0, q = 0;\n" + loop +
         "    double d = (double)" + X + " - mean;\n    q += d * d;\n  }\n";
    std::string v = "q / " + std::to_string(dof) + ".0";
    if (n->op == OpKind::Std) v = "sqrt(" + v + ")";
    c += "  " + Y + "[k] = (" + yT + ")(" + v + ");\n";
  } else if (k == OpKind::Norm) {
    c += "  double q = 0;\n" + loop + "    double v = " + X + ";\n    q += v * v;\n  }\n";
    c += "  " + Y + "[k] = (" + yT + ")sqrt(q);\n";
  } else if (k == OpKind::Argmax || k == OpKind::Argmin) {
    // The first extremum; once a NaN is found it stays the answer.
    std::string better = n->op == OpKind::Argmax ? ">" : "<";
    c += "  " + T + " best = 0; long long at = 0;\n" + loop +
         "    " + T + " v = " + X + ";\n"
         "    if (r == 0 || (best == best && (v " + better + " best || v != v))) {\n"
         "      best = v;\n      at = r;\n    }\n  }\n";
    c += "  " + Y + "[k] = at;\n";
  } else {
    throw InternalError("codegen", std::string("'") + n->info().name +
                                       "' is not a statistical reduction");
  }
  return c + "}\n";
}

} // namespace gradc
