//===- codegen/PoolEmitter.cpp - Loop nests of 2-D pooling ----------------===//
//
// Per plane p (one of N * C) and output element (oh, ow) the window is
// rows oh * SH - PH + kh * DH and columns ow * SW - PW + kw * DW (max), or
// the clamped box PyTorch's avg_pool2d uses, or the adaptive box
// [floor(oh H / OH), ceil((oh + 1) H / OH)).
//
//===----------------------------------------------------------------------===//
#include "codegen/PoolEmitter.h"
#include "codegen/CodeWriter.h"
#include "codegen/EmitUtil.h"

#include "codegen/ParallelBlocks.h"

#include "ir/Error.h"
#include "ir/PoolGeometry.h"

#include <cmath>
#include <functional>
#include <vector>

namespace gradc {

namespace {

using emit::num;
using emit::forLoop;

using emit::at;

/// Writes statements into the writer it is given.
using Writes = std::function<void(CodeWriter &)>;

/// Loops over the planes [b0, b1) and their output elements; `o` is the
/// flat output index, `xb` the offset of the plane in the input. `plane`
/// runs first for each plane (a backward op clears its plane there).
/// Headers without a brace are perfect nests: they share one scope.
void outputLoops(CodeWriter &w, const PoolGeometry &g, const Writes &body,
                 const Writes &plane = nullptr) {
  w.open(forLoop("p", "b0", "b1"));
  w.line("const long long xb = p * " + num(g.h * g.w) + ";");
  if (plane) plane(w);
  w.line(forLoop("oh", "0", num(g.oh)));
  w.open(forLoop("ow", "0", num(g.ow)));
  w.line("long long o = (p * " + num(g.oh) + " + oh) * " + num(g.ow) + " + ow;");
  body(w);
  w.close();
  w.close();
}

/// Whether every window lies inside the input (no padding, and the last
/// window ends inside, which ceil_mode may break): the search then needs no
/// bounds checks, and clang can unroll and vectorize it.
bool windowsInside(const PoolGeometry &g) {
  return g.ph == 0 && g.pw == 0 && (g.oh - 1) * g.sh + (g.kh - 1) * g.dh < g.h &&
         (g.ow - 1) * g.sw + (g.kw - 1) * g.dw < g.w;
}

/// Whether no two windows share an element: the stride is at least the
/// window's extent in both dims (max_pool2d(2) and its like). The
/// gradient of a window then goes to its elements by plain stores.
bool windowsDisjoint(const PoolGeometry &g) {
  return g.sh >= (g.kh - 1) * g.dh + 1 && g.sw >= (g.kw - 1) * g.dw + 1;
}

/// Opens the loops over the taps kh, kw of a window inside the input and
/// defines idx, the tap's offset in the plane from the window's first
/// element i0. Close with one close(). Windows of at most emit::kUnrollFull
/// taps are unrolled in full: only then does the loop over ow vectorize.
void tapLoops(CodeWriter &w, const PoolGeometry &g) {
  const bool unroll = g.kh * g.kw <= emit::kUnrollFull;
  if (unroll) w.line(emit::unrollPragma());
  w.line(forLoop("kh", "0", num(g.kh)));
  if (unroll) w.line(emit::unrollPragma());
  w.open(forLoop("kw", "0", num(g.kw)));
  w.line("const long long idx = i0 + kh * " + num(g.dh * g.w) + " + kw * " +
         num(g.dw) + ";");
}

/// Finds bi, the plane offset of the element max_pool2d picks in the
/// window of (oh, ow), and best, its value: PyTorch's rule, a larger value
/// or a NaN replaces the current pick (so the first maximum, or the last
/// NaN), starting from the first element inside the input. `withIndex`
/// false: the forward, which needs only the value.
void maxSearch(CodeWriter &w, const PoolGeometry &g, const ValueRef &x,
               const std::string &T, bool withIndex) {
  std::string rowStart = "oh * " + num(g.sh) + " - " + num(g.ph);
  std::string colStart = "ow * " + num(g.sw) + " - " + num(g.pw);
  if (windowsInside(g)) {
    // Every tap is inside: start from the window's first element and keep
    // the search free of branches (selects), which clang vectorizes along
    // ow. The loops over the taps have constant bounds and unroll.
    w.line("const long long i0 = (" + rowStart + ") * " + num(g.w) + " + " + colStart +
           ";");
    w.line(T + " best = " + at(x, "xb + i0") + ";");
    if (withIndex) w.line("long long bi = i0;");
    tapLoops(w, g);
    w.line("const " + T + " v = " + at(x, "xb + idx") + ";");
    w.line("const bool take = v > best || v != v;");
    w.line("best = take ? v : best;");
    if (withIndex) w.line("bi = take ? idx : bi;");
    w.close();
    return;
  }
  w.line("long long bi = -1; " + T + " best = 0;");
  w.open(forLoop("kh", "0", num(g.kh)));
  w.line("long long ih = " + rowStart + " + kh * " + num(g.dh) + ";");
  w.line("if (ih < 0 || ih >= " + num(g.h) + ") continue;");
  w.open(forLoop("kw", "0", num(g.kw)));
  w.line("long long iw = " + colStart + " + kw * " + num(g.dw) + ";");
  w.line("if (iw < 0 || iw >= " + num(g.w) + ") continue;");
  w.line("long long idx = ih * " + num(g.w) + " + iw;");
  w.line(T + " v = " + at(x, "xb + idx") + ";");
  w.line("if (bi < 0 || v > best || v != v) { best = v; bi = idx; }");
  w.close();
  w.close();
  if (!withIndex) w.line("(void)bi;");
}

/// The clamped window of avg_pool2d: hs..he, ws..we, and div, the divisor.
void avgWindow(CodeWriter &w, const PoolGeometry &g, bool countPad) {
  w.line("long long hs = oh * " + num(g.sh) + " - " + num(g.ph) + ", ws = ow * " +
         num(g.sw) + " - " + num(g.pw) + ";");
  w.line("long long he = hs + " + num(g.kh) + ", we = ws + " + num(g.kw) + ";");
  w.line("if (he > " + num(g.h + g.ph) + ") he = " + num(g.h + g.ph) + ";");
  w.line("if (we > " + num(g.w + g.pw) + ") we = " + num(g.w + g.pw) + ";");
  w.line("long long padded = (he - hs) * (we - ws);");
  w.line("if (hs < 0) hs = 0;");
  w.line("if (ws < 0) ws = 0;");
  w.line("if (he > " + num(g.h) + ") he = " + num(g.h) + ";");
  w.line("if (we > " + num(g.w) + ") we = " + num(g.w) + ";");
  w.line(std::string("double div = ") +
         (countPad ? "(double)padded" : "(double)((he - hs) * (we - ws))") + ";");
  w.line("(void)padded;");
}

/// The adaptive window of (oh, ow) and its element count.
void adaptiveWindow(CodeWriter &w, const PoolGeometry &g) {
  w.line("long long hs = oh * " + num(g.h) + " / " + num(g.oh) + ", he = ((oh + 1) * " +
         num(g.h) + " + " + num(g.oh - 1) + ") / " + num(g.oh) + ";");
  w.line("long long ws = ow * " + num(g.w) + " / " + num(g.ow) + ", we = ((ow + 1) * " +
         num(g.w) + " + " + num(g.ow - 1) + ") / " + num(g.ow) + ";");
  w.line("double div = (double)((he - hs) * (we - ws));");
}

/// Sums the window hs..he x ws..we of the input plane into acc.
void windowSum(CodeWriter &w, const PoolGeometry &g, const ValueRef &x) {
  w.line("double acc = 0;");
  w.line(forLoop("ih", "hs", "he"));
  w.line(forLoop("iw", "ws", "we") + " acc += (double)" +
         at(x, "xb + ih * " + num(g.w) + " + iw") + ";");
}

/// Adds share to every element of the window of the result plane.
void windowScatter(CodeWriter &w, const PoolGeometry &g, const std::string &dx,
                   const std::string &T) {
  w.line(forLoop("ih", "hs", "he"));
  w.line(forLoop("iw", "ws", "we") + " " + dx + "[xb + ih * " + num(g.w) +
         " + iw] += (" + T + ")share;");
}

/// Clears the result plane at xb (a backward op's, the input's shape).
void zeroPlane(CodeWriter &w, const PoolGeometry &g, const std::string &T) {
  w.line(forLoop("i", "0", num(g.h * g.w)) + " DX[xb + i] = (" + T + ")0;");
}

/// `ref` read through the block function's pointer `name`.
ValueRef renamed(ValueRef ref, const std::string &name) {
  if (!ref.isSplat()) ref.ptr = name;
  return ref;
}

/// The pointers of a pooling op's block function: the result, and each
/// operand that is in memory, as Y/DX (result) and A, B (operands).
std::vector<BlockPointer> blockPointers(const Node *n,
                                        const std::function<ValueRef(const Node *)> &vo,
                                        const std::string &resultName) {
  std::string T = dtypeCppName(n->type.dtype);
  std::vector<BlockPointer> ptrs = {{T + " *", resultName, vo(n).ptr}};
  const char *names[] = {"A", "B"};
  for (size_t i = 0; i < n->operands.size() && i < 2; ++i) {
    ValueRef r = vo(n->operands[i]);
    if (!r.isSplat())
      ptrs.push_back({"const " + T + " *", names[i], r.ptr});
  }
  return ptrs;
}

} // namespace

std::string poolingCode(const Node *n,
                        const std::function<ValueRef(const Node *)> &vo) {
  if (n->type.numel() == 0) return "";
  std::string T = dtypeCppName(n->type.dtype);
  const Node *x0 = n->operands[0];
  // Operands as the block function sees them (A: operand 0, B: operand 1).
  ValueRef a = renamed(vo(x0), "A");
  ValueRef b = n->operands.size() > 1 ? renamed(vo(n->operands[1]), "B") : ValueRef{};
  bool countPad = getBool(n->attrs, "count_include_pad", true);
  std::string id = "pool" + std::to_string(n->id);
  // Every plane (sample, channel) is independent: they are the blocks.
  auto forward = [&](const PoolGeometry &g, const Writes &body) {
    CodeWriter w;
    outputLoops(w, g, body);
    return parallelBlocks(id, g.n * g.c, blockPointers(n, vo, "Y"), w.str());
  };
  auto backward = [&](const PoolGeometry &g, const Writes &body) {
    CodeWriter w;
    outputLoops(w, g, body, [&](CodeWriter &pw) { zeroPlane(pw, g, T); });
    return parallelBlocks(id, g.n * g.c, blockPointers(n, vo, "DX"), w.str());
  };
  // An if chain, not a switch: OpEmitter::emit's switch over every op kind
  // is the one the compiler checks for completeness.
  if (n->op == OpKind::MaxPool2d) {
    PoolGeometry g = poolGeometry(x0->type.shape, n->attrs, true, "max_pool2d");
    return forward(g, [&](CodeWriter &w) {
      maxSearch(w, g, a, T, false);
      w.line("Y[o] = best;");
    });
  }
  if (n->op == OpKind::MaxPool2dBackward) {
    const Node *x = n->operands[1];
    PoolGeometry g = poolGeometry(x->type.shape, n->attrs, true, "max_pool2d");
    if (windowsInside(g) && windowsDisjoint(g))
      // Each element is in one window at most: it gets the window's
      // gradient if it is the pick, else 0, a store per tap with no read
      // of DX and no dependence between windows, which clang vectorizes
      // along ow (a scatter-add into DX did not vectorize: 11% of the
      // LeNet-5 step went to its first pooling's backward).
      return backward(g, [&](CodeWriter &w) {
        maxSearch(w, g, b, T, true);
        w.line("(void)best;");
        w.line("const " + T + " go = " + at(a, "o") + ";");
        tapLoops(w, g);
        w.line("DX[xb + idx] = idx == bi ? go : (" + T + ")0;");
        w.close();
      });
    return backward(g, [&](CodeWriter &w) {
      maxSearch(w, g, b, T, true);
      w.line("(void)best;");
      w.line("if (bi >= 0) DX[xb + bi] += " + at(a, "o") + ";");
    });
  }
  if (n->op == OpKind::AvgPool2d) {
    PoolGeometry g = poolGeometry(x0->type.shape, n->attrs, false, "avg_pool2d");
    return forward(g, [&](CodeWriter &w) {
      avgWindow(w, g, countPad);
      windowSum(w, g, a);
      w.line("Y[o] = hs < he && ws < we ? (" + T + ")(acc / div) : (" + T + ")0;");
    });
  }
  if (n->op == OpKind::AvgPool2dBackward) {
    PoolGeometry g = poolGeometry(getInts(n->attrs, "input_size", {}), n->attrs,
                                  false, "avg_pool2d");
    return backward(g, [&](CodeWriter &w) {
      avgWindow(w, g, countPad);
      w.line("double share = (double)" + at(a, "o") + " / div;");
      windowScatter(w, g, "DX", T);
    });
  }
  if (n->op == OpKind::AdaptiveAvgPool2d) {
    PoolGeometry g = adaptivePoolGeometry(x0->type.shape, n->attrs);
    return forward(g, [&](CodeWriter &w) {
      adaptiveWindow(w, g);
      windowSum(w, g, a);
      w.line("Y[o] = (" + T + ")(acc / div);");
    });
  }
  if (n->op == OpKind::AdaptiveAvgPool2dBackward) {
    PoolGeometry g = adaptivePoolGeometry(getInts(n->attrs, "input_size", {}),
                                          n->attrs);
    return backward(g, [&](CodeWriter &w) {
      adaptiveWindow(w, g);
      w.line("double share = (double)" + at(a, "o") + " / div;");
      windowScatter(w, g, "DX", T);
    });
  }
  throw InternalError("codegen", std::string("'") + n->info().name +
                                     "' is not a pooling op");
}

} // namespace gradc
