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
#include "codegen/CodeWriter.h"
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

/// `for (long long v = 0; v < n; ++v)`: a loop header.
std::string loop(const std::string &v, int64_t n) {
  return "for (long long " + v + " = 0; " + v + " < " + num(n) + "; ++" + v + ")";
}

/// Reads index `v` from the data into r, notes in `bad` whether it lies
/// in [0, bound) and replaces it by 0 when not (the read stays inside).
void checkedIndex(CodeWriter &w, const std::string &v, int64_t bound) {
  w.line("long long r = (long long)" + v + ";");
  w.line("bool ok = " + inRange("r", bound) + ";");
  w.line("bad |= !ok;");
  w.line("r = ok ? r : 0;");
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
  CodeWriter w;
  w.open("if (" + flag + ")");
  w.open(loop("q", count));
  w.line("long long v = (long long)" + valueAt("q") + ";");
  w.line("if (!" + inRange("v", bound) + (exempt.empty() ? "" : " && !(" + exempt + ")") +
         ") { if (!*st) *st = gc_index_status(" + std::to_string(site) +
         "ULL, v); break; }");
  w.close();
  w.close();
  return w.str();
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
  // Kernel parameters are numbered in the order of first use: the result
  // before the index, as the code has always numbered them.
  std::string out = ptrOf(n);
  CodeWriter c;
  c.line("bool bad = false;");
  c.open(loop("p", count));
  checkedIndex(c, flatAccess(idx, "p"), rows);
  c.line(loop("k", dim) + " " + out + "[p * " + num(dim) + " + k] = " + read + ";");
  c.close();
  c.lines(reportBadIndex(n, "index", rows, "bad", count,
                         [&](const std::string &q) { return flatAccess(idx, q); }));
  return c.str();
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
  std::string out = ptrOf(n); // (numbered before the index, as in embedding)
  CodeWriter c;
  c.line("bool bad = false;");
  c.open(loop("j", m));
  checkedIndex(c, flatAccess(idx, "j"), N);
  c.line(loop("o", outer));
  c.indent();
  c.line(loop("i", inner));
  c.indent();
  c.line(out + "[(o * " + num(m) + " + j) * " + num(inner) + " + i] = " + read + ";");
  c.dedent();
  c.dedent();
  c.close();
  c.lines(reportBadIndex(n, "index", N, "bad", m,
                         [&](const std::string &q) { return flatAccess(idx, q); }));
  return c.str();
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
  CodeWriter c;
  c.line(loop("e", n->type.numel()) + " " + out + "[e] = (" + T + ")0;");
  c.line(loop("o", outer));
  c.indent();
  c.open(loop("j", m));
  c.line("long long r = (long long)" + flatAccess(idx, "j") + ";");
  c.line("if (!" + inRange("r", N) + skip + ") continue;");
  c.line(loop("i", inner) + " " + out + "[(o * " + num(N) + " + r) * " + num(inner) +
         " + i] += " + gi + ";");
  c.close();
  c.dedent();
  return c.str();
}

namespace {

/// The loops over gather's index (shape `is`) and the offset of the element
/// they pick in a row-major tensor of shape `xs`, where the index value `r`
/// replaces the coordinate of `dim`.
struct GatherLoops {
  std::vector<std::string> headers;
  std::string idxOff, xOff;
  GatherLoops(const Shape &is, const Shape &xs, int64_t dim) {
    std::vector<int64_t> ist = rowMajorStrides(is), xst = rowMajorStrides(xs);
    for (size_t k = 0; k < is.size(); ++k) {
      std::string v = "i" + std::to_string(k);
      headers.push_back(loop(v, is[k]));
      idxOff += (idxOff.empty() ? "" : " + ") + v + " * " + num(ist[k]);
      xOff += (xOff.empty() ? "" : " + ") +
              (static_cast<int64_t>(k) == dim ? std::string("r") : v) + " * " + num(xst[k]);
    }
    if (idxOff.empty()) idxOff = "0";
    if (xOff.empty()) xOff = "0";
  }
  /// Opens one scope per dimension of the index.
  void open(CodeWriter &w) const {
    for (const std::string &h : headers) w.open(h);
  }
  /// Closes the scopes open() opened.
  void close(CodeWriter &w) const {
    for (size_t k = 0; k < headers.size(); ++k) w.close();
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
  std::string out = ptrOf(n); // (numbered before the index, as in embedding)
  CodeWriter c;
  c.line("bool bad = false;");
  L.open(c);
  checkedIndex(c, flatAccess(idx, L.idxOff), N);
  c.line(out + "[" + L.idxOff + "] = " + read + ";");
  L.close(c);
  c.lines(reportBadIndex(n, "index", N, "bad", idx->type.numel(),
                         [&](const std::string &q) { return flatAccess(idx, q); }));
  return c.str();
}

std::string OpEmitter::gatherBackward(const Node *n) {
  // dx = 0; dx[i with dim -> index[i]] += g[i], in row-major order of i.
  const Node *g = n->operands[0], *idx = n->operands[1];
  int64_t d = getInt(n->attrs, "dim", 0);
  const Shape &xs = n->type.shape, &is = idx->type.shape;
  int64_t N = xs.empty() ? 1 : xs[d];
  GatherLoops L(is, xs, d);
  std::string T = dtypeCppName(n->type.dtype), out = ptrOf(n);
  // Kernel parameters are numbered in the order of first use: the
  // gradient before the index, as the code has always numbered them.
  std::string gAt = flatAccess(g, L.idxOff);
  CodeWriter c;
  c.line(loop("e", n->type.numel()) + " " + out + "[e] = (" + T + ")0;");
  L.open(c);
  c.line("long long r = (long long)" + flatAccess(idx, L.idxOff) + ";");
  c.line("if (" + inRange("r", N) + ") " + out + "[" + L.xOff + "] += " + gAt + ";");
  L.close(c);
  return c.str();
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
  CodeWriter c;
  c.line(loop("o", outer));
  c.indent();
  c.line(loop("i", inner) + " " + ptrOf(n) + "[o * " + num(inner) + " + i] = " + read +
         ";");
  c.dedent();
  return c.str();
}

std::string OpEmitter::oneHot(const Node *n) {
  // y[p, c] = (t[p] == c) for c < num_classes.
  const Node *t = n->operands[0];
  int64_t C = n->type.shape.back(), count = t->type.numel();
  std::string out = ptrOf(n);
  CodeWriter c;
  c.line(loop("e", n->type.numel()) + " " + out + "[e] = 0;");
  c.line("bool bad = false;");
  c.open(loop("p", count));
  c.line("long long c = (long long)" + flatAccess(t, "p") + ";");
  c.line("bool ok = " + inRange("c", C) + ";");
  c.line("bad |= !ok;");
  c.line("if (ok) " + out + "[p * " + num(C) + " + c] = 1;");
  c.close();
  c.lines(reportBadIndex(n, "class", C, "bad", count,
                         [&](const std::string &q) { return flatAccess(t, q); }));
  return c.str();
}

} // namespace gradc
