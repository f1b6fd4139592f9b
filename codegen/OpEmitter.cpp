//===- codegen/OpEmitter.cpp - Loop nests for each op ---------------------===//
#include "codegen/OpEmitter.h"
#include "codegen/EmitUtil.h"

#include "codegen/CodeWriter.h"
#include "codegen/ConvEmitter.h"
#include "codegen/NormEmitter.h"
#include "codegen/ParallelBlocks.h"
#include "codegen/PoolEmitter.h"
#include "ir/Error.h"
#include "ir/OpClasses.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace gradc {

using emit::offsetExpr;

namespace {

using emit::mathFn;
using emit::num;

/// `for` loops over `shape` with index variables `<prefix><d>`, opened on
/// a writer at construction; close() closes them. With `blocked`, the
/// outermost loop runs over the block range [b0, b1) of a parallelBlocks
/// body instead of the whole dim.
struct LoopNest {
  CodeWriter &w;
  std::vector<std::string> vars;

  LoopNest(CodeWriter &writer, const Shape &shape, const std::string &prefix,
           bool blocked = false)
      : w(writer) {
    for (size_t d = 0; d < shape.size(); ++d) {
      std::string v = prefix + std::to_string(d);
      vars.push_back(v);
      if (d == 0 && blocked)
        w.open("for (long long " + v + " = b0; " + v + " < b1; ++" + v + ")");
      else
        w.open("for (long long " + v + " = 0; " + v + " < " + num(shape[d]) + "; ++" +
               v + ")");
    }
  }
  void close() {
    for (size_t d = 0; d < vars.size(); ++d) w.close();
  }
};

std::string accType(DType t) {
  return isFloat(t) ? "double" : "long long";
}

/// Reads element k + l of a row, given the spellings of k and l (l may be
/// empty).
using RowElement = std::function<std::string(const std::string &, const std::string &)>;

/// Statements defining `T mx`, the maximum of the row elements k < len,
/// with NaN propagating as in gc_max. One running maximum would be a
/// chain of dependent compare-and-selects that clang keeps scalar (it
/// reassociates a max reduction only under no-NaN flags); instead strips
/// of kMaxLanes elements update as many lane maxima, an elementwise loop
/// that vectorizes, then the lanes and the remainder fold in a fixed
/// order. The maximum is exact in any order (only the sign of a zero
/// maximum may depend on it, and x - mx, hence every softmax result, does
/// not), so the bits stay those of one running maximum. The strips read
/// x("k0", "l"), which clang sees as consecutive (a read at "(k0 + l)" it
/// turned into a gather).
std::string rowMax(const std::string &T, const std::string &negInf, int64_t len,
                   const RowElement &x) {
  constexpr int64_t kMaxLanes = 16;
  int64_t main = len / kMaxLanes * kMaxLanes;
  std::string lanes = num(kMaxLanes), gmax = "gc_max<" + T + ">";
  CodeWriter w;
  w.line(T + " mx = " + negInf + ";");
  if (main > kMaxLanes) {
    w.open();
    w.line(T + " m[" + std::to_string(kMaxLanes) + "];");
    w.line("for (long long l = 0; l < " + lanes + "; ++l) m[l] = " + negInf + ";");
    w.line("for (long long k0 = 0; k0 < " + num(main) + "; k0 += " + lanes +
           ") for (long long l = 0; l < " + lanes + "; ++l) m[l] = " + gmax + "(m[l], " +
           x("k0", "l") + ");");
    w.line("for (long long l = 0; l < " + lanes + "; ++l) mx = " + gmax + "(mx, m[l]);");
    w.close();
  } else {
    main = 0;
  }
  if (main < len)
    w.line("for (long long k = " + num(main) + "; k < " + num(len) + "; ++k) mx = " + gmax +
           "(mx, " + x("k", "") + ");");
  return w.str();
}

} // namespace

void OpEmitter::declareConstant(const Node *n) {
  if (!n->attrs.count("data")) return;
  std::vector<double> data = getFloats(n->attrs, "data");
  constants_ << "static const " << dtypeCppName(n->type.dtype) << " c" << n->id
             << "[" << std::max<size_t>(data.size(), 1) << "] = {";
  for (size_t i = 0; i < data.size(); ++i)
    constants_ << (i ? ", " : "") << literal(data[i], n->type.dtype);
  constants_ << "};\n";
}

std::string OpEmitter::flatAccess(const Node *n, const std::string &var) {
  ValueRef v = valueOf_(n);
  return v.isSplat() ? v.literal : v.ptr + "[" + var + "]";
}

std::string OpEmitter::at(const Node *x, const Shape &space,
                          const std::vector<std::string> &vars,
                          const std::string &flat) {
  ValueRef v = valueOf_(x);
  if (v.isSplat()) return v.literal;
  if (x->type.shape == space && !flat.empty()) return v.ptr + "[" + flat + "]";
  return v.ptr + "[" + offsetExpr(x->type.shape, space, vars) + "]";
}

std::string OpEmitter::elementwise(const Node *n) {
  const Shape &s = n->type.shape;
  bool flat = true;
  for (const Node *o : n->operands)
    flat = flat && (valueOf_(o).isSplat() || o->type.shape == s);
  std::string out = ptrOf(n);
  CodeWriter w;
  if (flat) {
    std::vector<std::string> a;
    for (const Node *o : n->operands) a.push_back(at(o, s, {}, "i"));
    w.line("for (long long i = 0; i < " + num(n->type.numel()) + "; ++i) " + out +
           "[i] = " + elementwiseExpr(n, a) + ";");
    return w.str();
  }
  LoopNest loops(w, s, "i");
  std::string flatIdx = offsetExpr(s, s, loops.vars);
  std::vector<std::string> a;
  for (const Node *o : n->operands) a.push_back(at(o, s, loops.vars, ""));
  w.line(out + "[" + flatIdx + "] = " + elementwiseExpr(n, a) + ";");
  loops.close();
  return w.str();
}

std::string OpEmitter::reduce(const Node *n) {
  const Node *x = n->operands[0];
  const Shape &xs = x->type.shape;
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < x->type.rank(); ++i) dims.push_back(i);
  dims = getInts(n->attrs, "dim", dims);
  DType t = x->type.dtype;
  std::string T = dtypeCppName(t);
  bool isMax = n->op == OpKind::Max, isMin = n->op == OpKind::Min;
  std::string acc = (isMax || isMin) ? T : accType(t);
  std::string init = isMax ? literal(-INFINITY, t) : isMin ? literal(INFINITY, t)
                                                           : "0";
  if (!isFloat(t) && (isMax || isMin))
    init = isMax ? "(-9223372036854775807LL - 1)" : "9223372036854775807LL";
  if (t == DType::I32 && (isMax || isMin))
    init = isMax ? "(-2147483647 - 1)" : "2147483647";
  // Outer loops: the kept dims; inner loops: the reduced dims.
  Shape kept, red;
  std::vector<int64_t> keptDims, redDims;
  for (int64_t d = 0; d < x->type.rank(); ++d) {
    bool r = std::find(dims.begin(), dims.end(), d) != dims.end();
    (r ? red : kept).push_back(xs[d]);
    (r ? redDims : keptDims).push_back(d);
  }
  CodeWriter w;
  LoopNest outer(w, kept, "k");
  w.line(acc + " acc = " + init + ";");
  LoopNest inner(w, red, "r");
  // Input multi-index: kept dims from k*, reduced dims from r*.
  std::vector<std::string> vars(xs.size());
  for (size_t j = 0; j < keptDims.size(); ++j) vars[keptDims[j]] = outer.vars[j];
  for (size_t j = 0; j < redDims.size(); ++j) vars[redDims[j]] = inner.vars[j];
  std::string v = at(x, xs, vars, "");
  if (isMax)
    w.line("acc = gc_max<" + T + ">(acc, " + v + ");");
  else if (isMin)
    w.line("acc = gc_min<" + T + ">(acc, " + v + ");");
  else
    w.line("acc += " + v + ";");
  inner.close();
  std::string result = "acc";
  if (n->op == OpKind::Mean) {
    int64_t count = 1;
    for (int64_t r : red) count *= r;
    result = "acc / " + std::to_string(count) + ".0";
  }
  w.line(ptrOf(n) + "[" + offsetExpr(kept, kept, outer.vars) + "] = (" + T + ")(" +
         result + ");");
  outer.close();
  return w.str();
}

std::string OpEmitter::permuteLike(const Node *n,
                                   const std::vector<int64_t> &perm) {
  // out[i0..] = x[i at perm]: output dim k reads input dim perm[k].
  const Node *x = n->operands[0];
  const Shape &s = n->type.shape;
  return inOuterBlocks(n, [&](bool blocked) {
    CodeWriter w;
    LoopNest loops(w, s, "i", blocked);
    std::vector<int64_t> xst = rowMajorStrides(x->type.shape);
    std::string off;
    for (size_t k = 0; k < perm.size(); ++k)
      off += (off.empty() ? "" : " + ") + loops.vars[k] + " * " +
             num(xst[perm[k]]);
    if (off.empty()) off = "0";
    ValueRef xv = valueOf_(x);
    std::string src = xv.isSplat() ? xv.literal : xv.ptr + "[" + off + "]";
    w.line(ptrOf(n) + "[" + offsetExpr(s, s, loops.vars) + "] = " + src + ";");
    loops.close();
    return w.str();
  });
}

std::string OpEmitter::concat(const Node *n) {
  int64_t d = getInt(n->attrs, "dim", 0);
  std::vector<int64_t> ost = rowMajorStrides(n->type.shape);
  CodeWriter w;
  int64_t off = 0;
  for (const Node *x : n->operands) {
    const Shape &xs = x->type.shape;
    w.open(); // each operand's loop variables in a scope of their own
    LoopNest loops(w, xs, "i");
    std::string dst = std::to_string(off) + "LL * " + num(ost[d]);
    for (size_t k = 0; k < xs.size(); ++k)
      dst += " + " + loops.vars[k] + " * " + num(ost[k]);
    w.line(ptrOf(n) + "[" + dst + "] = " + at(x, xs, loops.vars, "") + ";");
    loops.close();
    w.close();
    off += xs[d];
  }
  return w.str();
}

std::string OpEmitter::slice(const Node *n) {
  const Node *x = n->operands[0];
  int64_t d = getInt(n->attrs, "dim", 0), start = getInt(n->attrs, "start", 0),
          step = getInt(n->attrs, "step", 1);
  const Shape &s = n->type.shape;
  std::vector<int64_t> xst = rowMajorStrides(x->type.shape);
  return inOuterBlocks(n, [&](bool blocked) {
    CodeWriter w;
    LoopNest loops(w, s, "i", blocked);
    std::string off;
    for (size_t k = 0; k < s.size(); ++k) {
      std::string idx = loops.vars[k];
      if (static_cast<int64_t>(k) == d)
        idx = "(" + std::to_string(start) + "LL + " + idx + " * " + num(step) + ")";
      off += (off.empty() ? "" : " + ") + idx + " * " + num(xst[k]);
    }
    ValueRef xv = valueOf_(x);
    std::string src = xv.isSplat() ? xv.literal : xv.ptr + "[" + off + "]";
    w.line(ptrOf(n) + "[" + offsetExpr(s, s, loops.vars) + "] = " + src + ";");
    loops.close();
    return w.str();
  });
}

std::string OpEmitter::matmul(const Node *n) {
  bool gemmOp = n->op == OpKind::Gemm;
  return gemm(n, gemmOp && getBool(n->attrs, "trans_a", false),
              gemmOp && getBool(n->attrs, "trans_b", false));
}

std::string OpEmitter::gemm(const Node *n, bool ta, bool tb) {
  // C[M,N] = op(A) op(B) per batch element, where op transposes the last
  // two dims of a row-major operand when its flag is set (BLAS reads it
  // transposed; no copy). A vector a is [1, K], a vector b is [K, 1].
  const Node *a = n->operands[0], *b = n->operands[1];
  Shape as = a->type.shape, bs = b->type.shape;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  int64_t lda = as.back(), ldb = bs.back();
  int64_t M = ta ? as.back() : as[as.size() - 2], K = ta ? as[as.size() - 2] : as.back();
  int64_t N = tb ? bs[bs.size() - 2] : bs.back();
  Shape ba(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  Shape batch = *broadcastShapes(ba, bb);
  bool f32 = n->type.dtype == DType::F32;
  ValueRef av = valueOf_(a), bv = valueOf_(b);
  CodeWriter w;
  LoopNest bl(w, batch, "b");
  std::string ao = "(" + offsetExpr(ba, batch, bl.vars) + ") * " + num(M * K);
  std::string bo = "(" + offsetExpr(bb, batch, bl.vars) + ") * " + num(K * N);
  std::string co = "(" + offsetExpr(batch, batch, bl.vars) + ") * " + num(M * N);
  if (av.isSplat() || bv.isSplat() || M == 0 || N == 0 || K == 0) {
    // Degenerate shapes or constant operands: a plain triple loop.
    std::string T = dtypeCppName(n->type.dtype);
    std::string ai = ta ? "k * " + num(lda) + " + m" : "m * " + num(lda) + " + k";
    std::string bi = tb ? "j * " + num(ldb) + " + k" : "k * " + num(ldb) + " + j";
    std::string ae = av.isSplat() ? av.literal : av.ptr + "[" + ao + " + " + ai + "]";
    std::string be = bv.isSplat() ? bv.literal : bv.ptr + "[" + bo + " + " + bi + "]";
    w.line("for (long long m = 0; m < " + num(M) + "; ++m) for (long long j = 0; j < " +
           num(N) + "; ++j) { double acc = 0; for (long long k = 0; k < " + num(K) +
           "; ++k) acc += (double)" + ae + " * (double)" + be + "; " + ptrOf(n) + "[" +
           co + " + m * " + num(N) + " + j] = (" + T + ")acc; }");
    bl.close();
    return w.str();
  }
  std::string call = emit::gemmCall(
      f32, ta, tb, std::to_string(M), std::to_string(N), std::to_string(K),
      av.ptr + " + " + ao, std::to_string(lda), bv.ptr + " + " + bo, std::to_string(ldb),
      f32 ? "0.0f" : "0.0", ptrOf(n) + " + " + co, std::to_string(N));
  callsBlas_ = true;
  w.line(call);
  bl.close();
  return w.str();
}

std::string OpEmitter::softmax(const Node *n, bool log) {
  const Node *x = n->operands[0];
  const Shape &s = x->type.shape;
  int64_t d = getInt(n->attrs, "dim", 0);
  int64_t outer = 1, len = s.empty() ? 1 : s[d], inner = 1;
  for (int64_t k = 0; k < d; ++k) outer *= s[k];
  for (int64_t k = d + 1; k < static_cast<int64_t>(s.size()); ++k) inner *= s[k];
  DType t = n->type.dtype;
  std::string T = dtypeCppName(t), ex = mathFn("exp", t), lg = mathFn("log", t);
  std::string xs = valueOf_(x).isSplat() ? "" : ptrOf(x), Y = ptrOf(n);
  // The rows run in blocks (X, Y there), on the thread pool when large
  // enough: the code's form is the same either way (parallelBlocks).
  bool blocked = !xs.empty();
  bool pool = blocked && rowsOnThreadPool(outer, len * inner);
  std::vector<BlockPointer> ptrs = {{"const " + T + " *", "X", xs}, {T + " *", "Y", Y}};
  if (blocked) {
    xs = "X";
    Y = "Y";
  }
  auto X = [&](const std::string &k) {
    return xs.empty() ? valueOf_(x).literal : xs + "[base + " + k + " * " + num(inner) + "]";
  };
  std::string Yk = Y + "[base + k * " + num(inner) + "]";
  // exp(a), a = x - mx, is 0 for a < `floor` (below half the smallest
  // subnormal: -104 for f32, -746 for f64). Such arguments (a masked
  // score, -inf under a causal mask) send libmvec's vector exp to its
  // scalar path for the whole vector, so exp gets c = 0 in their place and
  // the 0 is selected after: the same bits, every lane on the fast path.
  // The second test is "c > a", not "a < floor" again: clang would see the
  // same condition and pass a to exp unclamped.
  std::string zero = literal(0, t);
  std::string arg = T + " a = " + X("k") + " - mx; " + T + " c = a < " +
                    literal(t == DType::F32 ? -104.0 : -746.0, t) + " ? " + zero + " : a; ";
  std::string e = "(c > a ? " + zero + " : " + ex + "(c))";
  std::string fold = log ? "{ " + arg + "sum += " + e + "; }"
                         : "{ " + arg + T + " e = " + e + "; " + Yk + " = e; sum += e; }";
  // Subtract the row maximum first so exp never overflows.
  CodeWriter w;
  std::string rows = blocked ? "b0; o < b1" : "0; o < " + num(outer);
  w.open("for (long long o = " + rows + "; ++o) for (long long q = 0; q < " + num(inner) +
         "; ++q)");
  w.line("long long base = o * " + num(len * inner) + " + q;");
  std::string rowLoop = "for (long long k = 0; k < " + num(len) + "; ++k) ";
  RowElement elem = [&](const std::string &k, const std::string &l) {
    if (xs.empty() || l.empty()) return X(k);
    return xs + "[base + " + k + " * " + num(inner) + " + " + l + " * " + num(inner) + "]";
  };
  w.lines(rowMax(T, literal(-INFINITY, t), len, elem));
  w.line("double sum = 0;");
  w.lines(emit::reassociableLoop());
  w.line(rowLoop + fold);
  if (log) {
    w.line(T + " lse = mx + (" + T + ")" + lg + "((" + T + ")sum);");
    w.line(rowLoop + Yk + " = " + X("k") + " - lse;");
  } else {
    w.line(T + " inv = (" + T + ")(1.0 / sum);");
    w.line(rowLoop + Yk + " *= inv;");
  }
  w.close();
  return blocked ? parallelBlocks("softmax" + std::to_string(n->id), outer, ptrs, w.str(), pool)
                 : w.str();
}

std::string OpEmitter::mseLoss(const Node *n) {
  const Node *a = n->operands[0], *b = n->operands[1];
  Shape s = *broadcastShapes(a->type.shape, b->type.shape);
  std::string red = getString(n->attrs, "reduction", "mean");
  std::string T = dtypeCppName(n->type.dtype);
  std::string fin = red == "mean" ? "acc / " + std::to_string(numElements(s)) + ".0" : "acc";
  CodeWriter w;
  w.open();
  if (red != "none") w.line("double acc = 0;");
  LoopNest loops(w, s, "i");
  std::string d = "(" + at(a, s, loops.vars, "") + " - " + at(b, s, loops.vars, "") + ")";
  if (red == "none")
    w.line(ptrOf(n) + "[" + offsetExpr(s, s, loops.vars) + "] = " + d + " * " + d + ";");
  else
    w.line("{ " + T + " e = " + d + "; acc += (double)e * (double)e; }");
  loops.close();
  if (red != "none") w.line(ptrOf(n) + "[0] = (" + T + ")(" + fin + ");");
  w.close();
  return w.str();
}

/// Loop bounds of a tensor of `shape` seen as [outer, len, inner] around
/// dimension `d` (a scalar is [1, 1, 1]).
struct AroundDim {
  int64_t outer = 1, len = 1, inner = 1;
  AroundDim(const Shape &s, int64_t d) {
    if (s.empty()) return;
    len = s[d];
    for (int64_t k = 0; k < d; ++k) outer *= s[k];
    for (int64_t k = d + 1; k < static_cast<int64_t>(s.size()); ++k) inner *= s[k];
  }
};

std::string OpEmitter::argMask(const Node *n) {
  // The element x.max(dim) / x.min(dim) returns the index of: the first
  // extremum along dim; once a NaN is seen it is the answer.
  const Node *x = n->operands[0];
  AroundDim g(x->type.shape, getInt(n->attrs, "dim", 0));
  if (g.len == 0) return "";
  std::string T = dtypeCppName(x->type.dtype);
  std::string cmp = n->op == OpKind::ArgmaxMask ? " > " : " < ";
  ValueRef xv = valueOf_(x);
  auto X = [&](const std::string &k) {
    return xv.isSplat() ? xv.literal
                        : xv.ptr + "[base + " + k + " * " + num(g.inner) + "]";
  };
  CodeWriter w;
  w.open("for (long long o = 0; o < " + num(g.outer) + "; ++o) for (long long q = 0; q < " +
         num(g.inner) + "; ++q)");
  w.line("long long base = o * " + num(g.len * g.inner) + " + q;");
  w.line("long long best = 0; " + T + " bv = " + X("0LL") + ";");
  w.open("for (long long k = 1; k < " + num(g.len) + " && bv == bv; ++k)");
  w.line(T + " v = " + X("k") + ";");
  w.line("if (v != v || v" + cmp + "bv) { best = k; bv = v; }");
  w.close();
  w.line("for (long long k = 0; k < " + num(g.len) + "; ++k) " + ptrOf(n) +
         "[base + k * " + num(g.inner) + "] = k == best;");
  w.close();
  return w.str();
}

std::string OpEmitter::sliceBackward(const Node *n) {
  // The gradient of x[..., start : start + L * step : step, ...] (dim d):
  // g at the positions the forward slice read, zeros elsewhere.
  const Node *gn = n->operands[0];
  int64_t d = getInt(n->attrs, "dim", 0), start = getInt(n->attrs, "start", 0),
          step = getInt(n->attrs, "step", 1);
  const Shape &s = gn->type.shape;
  std::vector<int64_t> ost = rowMajorStrides(n->type.shape);
  std::string T = dtypeCppName(n->type.dtype), zero = "(" + T + ")0";
  if (step == 1 && d > 0) {
    // Each run of the output after the dims before d is zeros, then g's
    // run, then zeros: every element written once (zeroing the whole
    // output first, then writing g over part of it, writes the part twice).
    Shape outer(s.begin(), s.begin() + d);
    int64_t inner = ost[d], run = n->type.shape[d] * inner, lo = start * inner,
            len = s[d] * inner;
    std::vector<int64_t> gst = rowMajorStrides(s);
    return inOuterBlocks(n, [&](bool blocked) {
      CodeWriter w;
      LoopNest loops(w, outer, "i", blocked);
      std::string ob, gb;
      for (int64_t k = 0; k < d; ++k) {
        ob += (k ? " + " : "") + loops.vars[k] + " * " + num(ost[k]);
        gb += (k ? " + " : "") + loops.vars[k] + " * " + num(gst[k]);
      }
      std::string out = ptrOf(n);
      ValueRef gv = valueOf_(gn);
      std::string src = gv.isSplat() ? gv.literal : gv.ptr + "[" + gb + " + q]";
      if (lo > 0)
        w.line("for (long long q = 0; q < " + num(lo) + "; ++q) " + out + "[" + ob +
               " + q] = " + zero + ";");
      w.line("for (long long q = 0; q < " + num(len) + "; ++q) " + out + "[" + ob + " + " +
             num(lo) + " + q] = " + src + ";");
      if (lo + len < run)
        w.line("for (long long q = " + num(lo + len) + "; q < " + num(run) + "; ++q) " + out +
               "[" + ob + " + q] = " + zero + ";");
      loops.close();
      return w.str();
    });
  }
  // Otherwise zeros, then g written at the positions the slice read.
  CodeWriter w;
  w.line("for (long long i = 0; i < " + num(n->type.numel()) + "; ++i) " + ptrOf(n) +
         "[i] = " + zero + ";");
  LoopNest loops(w, s, "i");
  std::string off;
  for (size_t k = 0; k < s.size(); ++k) {
    std::string idx = loops.vars[k];
    if (static_cast<int64_t>(k) == d)
      idx = "(" + num(start) + " + " + idx + " * " + num(step) + ")";
    off += (off.empty() ? "" : " + ") + idx + " * " + num(ost[k]);
  }
  if (off.empty()) off = "0";
  w.line(ptrOf(n) + "[" + off + "] = " + at(gn, s, loops.vars, "") + ";");
  loops.close();
  return w.str();
}

std::string OpEmitter::inOuterBlocks(const Node *n,
                                     const std::function<std::string(bool)> &body) {
  const Shape &s = n->type.shape;
  if (s.empty() || s[0] == 0) return body(false);
  // Blocks of the outer dim at any size, on the thread pool when large
  // enough: the code's form is the same either way (parallelBlocks).
  bool pool = rowsOnThreadPool(s[0], n->type.numel() / s[0]);
  // While the body is written, every buffer it reads or writes is a
  // parameter of the block function (P0, P1, ... in the order the body
  // names them; only the result's is writable).
  std::vector<BlockPointer> ptrs;
  std::function<ValueRef(const Node *)> kernel = valueOf_;
  valueOf_ = [&](const Node *m) {
    ValueRef r = kernel(m);
    if (r.isSplat()) return r;
    for (BlockPointer &p : ptrs)
      if (p.value == r.ptr) {
        if (m == n) p.type = dtypeCppName(m->type.dtype) + std::string(" *");
        return ValueRef{p.name, ""};
      }
    std::string c = m == n ? "" : "const ";
    ptrs.push_back(
        {c + dtypeCppName(m->type.dtype) + " *", "P" + std::to_string(ptrs.size()), r.ptr});
    return ValueRef{ptrs.back().name, ""};
  };
  std::string code;
  try {
    code = body(true);
  } catch (...) {
    valueOf_ = kernel;
    throw;
  }
  valueOf_ = kernel;
  return parallelBlocks("copy" + std::to_string(n->id), s[0], ptrs, code, pool);
}

std::string OpEmitter::emit(const Node *n, int indent) {
  std::string code;
  switch (n->info().cls) {
  case OpClass::Unary:
  case OpClass::Binary:
  case OpClass::Compare:
  case OpClass::Ternary:
    code = elementwise(n);
    break;
  case OpClass::Reduce:
    code = reduce(n);
    break;
  case OpClass::Shape:
    switch (shapeOp(n->op)) {
    case ShapeOp::Expand:
    case ShapeOp::Reshape:
    case ShapeOp::Squeeze:
    case ShapeOp::Unsqueeze:
      code = elementwise(n);
      break;
    case ShapeOp::Transpose: {
      std::vector<int64_t> p;
      for (int64_t i = 0; i < n->type.rank(); ++i) p.push_back(i);
      if (!p.empty())
        std::swap(p[getInt(n->attrs, "dim0", 0)], p[getInt(n->attrs, "dim1", 0)]);
      code = permuteLike(n, p);
      break;
    }
    case ShapeOp::Permute:
      code = permuteLike(n, getInts(n->attrs, "dims", {}));
      break;
    case ShapeOp::Concat:
      code = concat(n);
      break;
    case ShapeOp::Slice:
      code = slice(n);
      break;
    case ShapeOp::Select:
      code = select(n);
      break;
    }
    break;
  case OpClass::Special:
    switch (specialOp(n->op)) {
    case SpecialOp::Matmul: code = matmul(n); break;
    case SpecialOp::Softmax: code = softmax(n, false); break;
    case SpecialOp::LogSoftmax: code = softmax(n, true); break;
    case SpecialOp::MseLoss: code = mseLoss(n); break;
    case SpecialOp::CrossEntropy: code = crossEntropy(n); break;
    case SpecialOp::ArgmaxMask:
    case SpecialOp::ArgminMask: code = argMask(n); break;
    case SpecialOp::SliceBackward: code = sliceBackward(n); break;
    case SpecialOp::CrossEntropyBackward: code = crossEntropyBackward(n); break;
    case SpecialOp::Gemm: code = matmul(n); break;
    case SpecialOp::Conv1d:
    case SpecialOp::Conv2d:
    case SpecialOp::Conv2dInputBackward:
    case SpecialOp::Conv2dWeightBackward:
      code = convolutionCode(n, valueOf_, callsBlas_);
      break;
    case SpecialOp::MaxPool2d:
    case SpecialOp::AvgPool2d:
    case SpecialOp::AdaptiveAvgPool2d:
    case SpecialOp::MaxPool2dBackward:
    case SpecialOp::AvgPool2dBackward:
    case SpecialOp::AdaptiveAvgPool2dBackward:
      code = poolingCode(n, valueOf_);
      break;
    case SpecialOp::LayerNorm:
    case SpecialOp::LayerNormBackward:
    case SpecialOp::LayerNormXhat:
    case SpecialOp::GroupNorm:
    case SpecialOp::GroupNormBackward:
    case SpecialOp::GroupNormXhat:
      code = normalizationCode(n, valueOf_);
      break;
    case SpecialOp::Logsumexp: case SpecialOp::Var: case SpecialOp::Std:
    case SpecialOp::Norm: case SpecialOp::Argmax: case SpecialOp::Argmin:
      code = statReduction(n);
      break;
    case SpecialOp::Triu: case SpecialOp::Tril: code = triangle(n); break;
    case SpecialOp::Dropout: code = dropout(n); break;
    case SpecialOp::NllLoss: code = nllLoss(n); break;
    case SpecialOp::NllLossBackward: code = nllLossBackward(n); break;
    case SpecialOp::Cumsum: code = cumsum(n); break;
    case SpecialOp::Embedding: code = embedding(n); break;
    case SpecialOp::IndexSelect: code = indexSelect(n); break;
    case SpecialOp::IndexSelectBackward: code = indexSelectBackward(n); break;
    case SpecialOp::Gather: code = gather(n); break;
    case SpecialOp::GatherBackward: code = gatherBackward(n); break;
    case SpecialOp::OneHot: code = oneHot(n); break;
    case SpecialOp::Arange: case SpecialOp::Full:
    case SpecialOp::ZerosLike: case SpecialOp::OnesLike: code = factory(n); break;
    case SpecialOp::Grad:
      throw InternalError("codegen", std::string("no code template for '") +
                                         n->info().name + "'");
    }
    break;
  case OpClass::Leaf:
    return "";
  }
  // The op's statements in a scope of their own.
  CodeWriter w(indent);
  w.open();
  w.lines(code);
  w.close();
  return w.str();
}

} // namespace gradc
