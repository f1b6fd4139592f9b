//===- codegen/IndexEmitter.cpp - Indexing ops and their scatter-adds -----===//
//
// embedding, index_select, gather, select, one_hot and the backward ops of
// the first three. An index read from data is checked against its range
// with one flag per loop; an index out of range is replaced by 0 (reads)
// or skipped (writes), so the loop never leaves its buffers, and the
// entry point returns a status naming the node and the value
// (reportBadIndex, codegen/EntryStatus.h). The scatter-adds of the
// backward run serially in index order: the same sums in the same order
// on every run, whatever the thread count.
//
//===----------------------------------------------------------------------===//
#include "codegen/OpEmitter.h"
#include "codegen/EmitUtil.h"

#include "ir/Error.h"

namespace gradc {

namespace {

using emit::num;

int64_t product(const Shape &s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= s[i];
  return p;
}

/// `(unsigned long long)(v) < bound`: one comparison covers v < 0 too.
std::string inRange(const std::string &v, int64_t bound) {
  return "((unsigned long long)(" + v + ") < " + std::to_string(bound) + "ULL)";
}

} // namespace

std::string OpEmitter::reportBadIndex(
    const Node *n, const std::string &what, int64_t bound,
    const std::string &flag, int64_t count,
    const std::function<std::string(const std::string &)> &valueAt,
    const std::string &exempt) {
  int site = siteOf_ ? siteOf_(n, what, bound) : 0;
  if (site <= 0)
    throw InternalError("codegen", std::string("'") + n->info().name +
                                       "' checks indices but no status site "
                                       "was provided");
  usesStatus_ = true;
  // The cold path: find the first offending value again and record it
  // unless an earlier check already failed.
  return "if (" + flag + ") {\n  for (long long q = 0; q < " + num(count) +
         "; ++q) {\n    long long v = (long long)" + valueAt("q") + ";\n" +
         "    if (!" + inRange("v", bound) + (exempt.empty() ? "" : " && !(" + exempt + ")") +
         ") { if (!*st) *st = gc_index_status(" +
         std::to_string(site) + "ULL, v); break; }\n  }\n}\n";
}

std::string OpEmitter::embedding(const Node *n) {
  // y[p, k] = w[idx[p], k] for the flattened index p and 0 <= k < D.
  const Node *idx = n->operands[0], *w = n->operands[1];
  int64_t rows = w->type.shape[0], dim = w->type.shape[1], count = idx->type.numel();
  std::string T = dtypeCppName(n->type.dtype);
  ValueRef wv = valueOf_(w);
  auto src = [&](const std::string &r) {
    return wv.isSplat() ? wv.literal : wv.ptr + "[" + r + " * " + num(dim) + " + k]";
  };
  std::string read = rows > 0 ? src("r") : "(" + T + ")0";
  std::string code = "bool bad = false;\nfor (long long p = 0; p < " + num(count) +
                     "; ++p) {\n  long long r = (long long)" + flatAccess(idx, "p") +
                     ";\n  bool ok = " + inRange("r", rows) + ";\n  bad |= !ok;\n" +
                     "  r = ok ? r : 0;\n  for (long long k = 0; k < " + num(dim) +
                     "; ++k) " + ptrOf(n) + "[p * " + num(dim) + " + k] = " + read +
                     ";\n}\n";
  return code + reportBadIndex(n, "index", rows, "bad", count,
                               [&](const std::string &q) { return flatAccess(idx, q); });
}

std::string OpEmitter::indexSelect(const Node *n) {
  // y[o, j, i] = x[o, index[j], i] with x seen as [outer, N, inner].
  const Node *x = n->operands[0], *idx = n->operands[1];
  int64_t d = getInt(n->attrs, "dim", 0);
  const Shape &xs = x->type.shape;
  int64_t outer = product(xs, 0, d), N = xs[d], inner = product(xs, d + 1, xs.size());
  int64_t m = idx->type.numel();
  std::string T = dtypeCppName(n->type.dtype);
  ValueRef xv = valueOf_(x);
  std::string read = N == 0 ? "(" + T + ")0"
                     : xv.isSplat() ? xv.literal
                                    : xv.ptr + "[(o * " + num(N) + " + r) * " + num(inner) + " + i]";
  std::string code = "bool bad = false;\nfor (long long j = 0; j < " + num(m) +
                     "; ++j) {\n  long long r = (long long)" + flatAccess(idx, "j") +
                     ";\n  bool ok = " + inRange("r", N) + ";\n  bad |= !ok;\n  r = ok ? r : 0;\n" +
                     "  for (long long o = 0; o < " + num(outer) + "; ++o)\n" +
                     "    for (long long i = 0; i < " + num(inner) + "; ++i)\n      " +
                     ptrOf(n) + "[(o * " + num(m) + " + j) * " + num(inner) + " + i] = " +
                     read + ";\n}\n";
  return code + reportBadIndex(n, "index", N, "bad", m,
                               [&](const std::string &q) { return flatAccess(idx, q); });
}

std::string OpEmitter::indexSelectBackward(const Node *n) {
  // dx = 0; dx[o, index[j], i] += g[o, j, i] for j in order (embedding's
  // weight gradient is the case dim 0, outer 1). Rows equal to padding_idx
  // and indices out of range (already reported by the forward) get nothing.
  const Node *g = n->operands[0], *idx = n->operands[1];
  int64_t d = getInt(n->attrs, "dim", 0);
  const Shape &xs = n->type.shape;
  int64_t outer = product(xs, 0, d), N = xs[d], inner = product(xs, d + 1, xs.size());
  int64_t m = idx->type.numel();
  std::string T = dtypeCppName(n->type.dtype), out = ptrOf(n);
  std::string skip = n->attrs.count("padding_idx")
                         ? " || r == " + num(getInt(n->attrs, "padding_idx", 0))
                         : "";
  ValueRef gv = valueOf_(g);
  std::string gi = gv.isSplat() ? gv.literal
                                : gv.ptr + "[(o * " + num(m) + " + j) * " + num(inner) + " + i]";
  return "for (long long e = 0; e < " + num(n->type.numel()) + "; ++e) " + out +
         "[e] = (" + T + ")0;\nfor (long long o = 0; o < " + num(outer) +
         "; ++o)\n  for (long long j = 0; j < " + num(m) + "; ++j) {\n" +
         "    long long r = (long long)" + flatAccess(idx, "j") + ";\n    if (!" +
         inRange("r", N) + skip + ") continue;\n    for (long long i = 0; i < " +
         num(inner) + "; ++i) " + out + "[(o * " + num(N) + " + r) * " + num(inner) +
         " + i] += " + gi + ";\n  }\n";
}

namespace {

/// The loops over gather's index (shape `is`) and the offset of the element
/// they pick in a row-major tensor of shape `xs`, where the index value `r`
/// replaces the coordinate of `dim`.
struct GatherLoops {
  std::string open, close, idxOff, xOff;
  GatherLoops(const Shape &is, const Shape &xs, int64_t dim) {
    std::vector<int64_t> ist = rowMajorStrides(is), xst = rowMajorStrides(xs);
    for (size_t k = 0; k < is.size(); ++k) {
      std::string v = "i" + std::to_string(k);
      std::string pad(2 * k, ' ');
      open += pad + "for (long long " + v + " = 0; " + v + " < " + num(is[k]) +
              "; ++" + v + ") {\n";
      close = pad + "}\n" + close;
      idxOff += (idxOff.empty() ? "" : " + ") + v + " * " + num(ist[k]);
      xOff += (xOff.empty() ? "" : " + ") +
              (static_cast<int64_t>(k) == dim ? std::string("r") : v) + " * " + num(xst[k]);
    }
    if (idxOff.empty()) idxOff = "0";
    if (xOff.empty()) xOff = "0";
  }
};

} // namespace

std::string OpEmitter::gather(const Node *n) {
  // y[i] = x[i with coordinate dim replaced by index[i]].
  const Node *x = n->operands[0], *idx = n->operands[1];
  int64_t d = getInt(n->attrs, "dim", 0);
  const Shape &xs = x->type.shape, &is = idx->type.shape;
  int64_t N = xs.empty() ? 1 : xs[d];
  GatherLoops L(is, xs, d);
  std::string T = dtypeCppName(n->type.dtype);
  ValueRef xv = valueOf_(x);
  std::string read = N == 0 ? "(" + T + ")0"
                     : xv.isSplat() ? xv.literal : xv.ptr + "[" + L.xOff + "]";
  std::string code = "bool bad = false;\n" + L.open + "  long long r = (long long)" +
                     flatAccess(idx, L.idxOff) + ";\n  bool ok = " + inRange("r", N) +
                     ";\n  bad |= !ok;\n  r = ok ? r : 0;\n  " + ptrOf(n) + "[" +
                     L.idxOff + "] = " + read + ";\n" + L.close;
  return code + reportBadIndex(n, "index", N, "bad", idx->type.numel(),
                               [&](const std::string &q) { return flatAccess(idx, q); });
}

std::string OpEmitter::gatherBackward(const Node *n) {
  // dx = 0; dx[i with dim -> index[i]] += g[i], in row-major order of i.
  const Node *g = n->operands[0], *idx = n->operands[1];
  int64_t d = getInt(n->attrs, "dim", 0);
  const Shape &xs = n->type.shape, &is = idx->type.shape;
  int64_t N = xs.empty() ? 1 : xs[d];
  GatherLoops L(is, xs, d);
  std::string T = dtypeCppName(n->type.dtype), out = ptrOf(n);
  return "for (long long e = 0; e < " + num(n->type.numel()) + "; ++e) " + out +
         "[e] = (" + T + ")0;\n" + L.open + "  long long r = (long long)" +
         flatAccess(idx, L.idxOff) + ";\n  if (" + inRange("r", N) + ") " + out + "[" +
         L.xOff + "] += " + flatAccess(g, L.idxOff) + ";\n" + L.close;
}

std::string OpEmitter::select(const Node *n) {
  // y[o, i] = x[o, index, i] with x seen as [outer, N, inner]; the index
  // is static and was checked when the node was built.
  const Node *x = n->operands[0];
  int64_t d = getInt(n->attrs, "dim", 0), at = getInt(n->attrs, "index", 0);
  const Shape &xs = x->type.shape;
  int64_t outer = product(xs, 0, d), N = xs[d], inner = product(xs, d + 1, xs.size());
  ValueRef xv = valueOf_(x);
  std::string read = xv.isSplat() ? xv.literal
                                  : xv.ptr + "[(o * " + num(N) + " + " + num(at) + ") * " +
                                        num(inner) + " + i]";
  return "for (long long o = 0; o < " + num(outer) + "; ++o)\n  for (long long i = 0; i < " +
         num(inner) + "; ++i) " + ptrOf(n) + "[o * " + num(inner) + " + i] = " + read + ";\n";
}

std::string OpEmitter::oneHot(const Node *n) {
  // y[p, c] = (t[p] == c) for c < num_classes.
  const Node *t = n->operands[0];
  int64_t C = n->type.shape.back(), count = t->type.numel();
  std::string out = ptrOf(n);
  std::string code = "for (long long e = 0; e < " + num(n->type.numel()) + "; ++e) " + out +
                     "[e] = 0;\nbool bad = false;\nfor (long long p = 0; p < " + num(count) +
                     "; ++p) {\n  long long c = (long long)" + flatAccess(t, "p") +
                     ";\n  bool ok = " + inRange("c", C) + ";\n  bad |= !ok;\n  if (ok) " +
                     out + "[p * " + num(C) + " + c] = 1;\n}\n";
  return code + reportBadIndex(n, "class", C, "bad", count,
                               [&](const std::string &q) { return flatAccess(t, q); });
}

} // namespace gradc
