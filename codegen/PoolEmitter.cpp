//===- codegen/PoolEmitter.cpp - Loop nests of 2-D pooling ----------------===//
//
// Per plane p (one of N * C) and output element (oh, ow) the window is
// rows oh * SH - PH + kh * DH and columns ow * SW - PW + kw * DW (max), or
// the clamped box PyTorch's avg_pool2d uses, or the adaptive box
// [floor(oh H / OH), ceil((oh + 1) H / OH)).
//
//===----------------------------------------------------------------------===//
#include "codegen/PoolEmitter.h"
#include "codegen/EmitUtil.h"

#include "codegen/ParallelBlocks.h"

#include "ir/Error.h"
#include "ir/PoolGeometry.h"

#include <cmath>
#include <vector>

namespace gradc {

namespace {

using emit::num;

using emit::at;

/// Loops over the planes [b0, b1) and their output elements; `o` is the
/// flat output index, `xb` the offset of the plane in the input. `plane`
/// runs first for each plane (a backward op clears its plane there).
std::string outputLoops(const PoolGeometry &g, const std::string &body,
                        const std::string &plane = "") {
  return "for (long long p = b0; p < b1; ++p) {\n"
         "const long long xb = p * " + num(g.h * g.w) + ";\n" + plane +
         "for (long long oh = 0; oh < " + num(g.oh) + "; ++oh)\n"
         "for (long long ow = 0; ow < " + num(g.ow) + "; ++ow) {\n"
         "long long o = (p * " + num(g.oh) + " + oh) * " + num(g.ow) + " + ow;\n" +
         body + "}\n}\n";
}

/// Whether every window lies inside the input (no padding, and the last
/// window ends inside, which ceil_mode may break): the search then needs no
/// bounds checks, and clang can unroll and vectorize it.
bool windowsInside(const PoolGeometry &g) {
  return g.ph == 0 && g.pw == 0 && (g.oh - 1) * g.sh + (g.kh - 1) * g.dh < g.h &&
         (g.ow - 1) * g.sw + (g.kw - 1) * g.dw < g.w;
}

/// Finds bi, the plane offset of the element max_pool2d picks in the
/// window of (oh, ow), and best, its value: PyTorch's rule, a larger value
/// or a NaN replaces the current pick (so the first maximum, or the last
/// NaN), starting from the first element inside the input. `withIndex`
/// false: the forward, which needs only the value.
std::string maxSearch(const PoolGeometry &g, const ValueRef &x, const std::string &T,
                      bool withIndex) {
  std::string rowStart = "oh * " + num(g.sh) + " - " + num(g.ph);
  std::string colStart = "ow * " + num(g.sw) + " - " + num(g.pw);
  if (windowsInside(g)) {
    // Every tap is inside: start from the window's first element and keep
    // the search free of branches (selects), which clang vectorizes along
    // ow. The loops over the taps have constant bounds and unroll.
    std::string first = "(" + rowStart + ") * " + num(g.w) + " + " + colStart;
    std::string s = "const long long i0 = " + first + ";\n" + T + " best = " +
                    at(x, "xb + i0") + ";\n";
    if (withIndex) s += "long long bi = i0;\n";
    s += "for (long long kh = 0; kh < " + num(g.kh) + "; ++kh)\n"
         "for (long long kw = 0; kw < " + num(g.kw) + "; ++kw) {\n"
         "const long long idx = i0 + kh * " + num(g.dh * g.w) + " + kw * " +
         num(g.dw) + ";\nconst " + T + " v = " + at(x, "xb + idx") + ";\n"
         "const bool take = v > best || v != v;\n"
         "best = take ? v : best;\n";
    if (withIndex) s += "bi = take ? idx : bi;\n";
    return s + "}\n";
  }
  return "long long bi = -1; " + T + " best = 0;\n"
         "for (long long kh = 0; kh < " + num(g.kh) + "; ++kh) {\n"
         "long long ih = " + rowStart + " + kh * " + num(g.dh) + ";\n"
         "if (ih < 0 || ih >= " + num(g.h) + ") continue;\n"
         "for (long long kw = 0; kw < " + num(g.kw) + "; ++kw) {\n"
         "long long iw = " + colStart + " + kw * " + num(g.dw) + ";\n"
         "if (iw < 0 || iw >= " + num(g.w) + ") continue;\n"
         "long long idx = ih * " + num(g.w) + " + iw;\n" + T + " v = " +
         at(x, "xb + idx") + ";\n"
         "if (bi < 0 || v > best || v != v) { best = v; bi = idx; }\n}\n}\n" +
         (withIndex ? "" : "(void)bi;\n");
}

/// The clamped window of avg_pool2d: hs..he, ws..we, and div, the divisor.
std::string avgWindow(const PoolGeometry &g, bool countPad) {
  return "long long hs = oh * " + num(g.sh) + " - " + num(g.ph) + ", ws = ow * " +
         num(g.sw) + " - " + num(g.pw) + ";\n"
         "long long he = hs + " + num(g.kh) + ", we = ws + " + num(g.kw) + ";\n"
         "if (he > " + num(g.h + g.ph) + ") he = " + num(g.h + g.ph) + ";\n"
         "if (we > " + num(g.w + g.pw) + ") we = " + num(g.w + g.pw) + ";\n"
         "long long padded = (he - hs) * (we - ws);\n"
         "if (hs < 0) hs = 0;\nif (ws < 0) ws = 0;\n"
         "if (he > " + num(g.h) + ") he = " + num(g.h) + ";\n"
         "if (we > " + num(g.w) + ") we = " + num(g.w) + ";\n"
         "double div = " + (countPad ? std::string("(double)padded")
                                     : std::string("(double)((he - hs) * (we - ws))")) +
         ";\n(void)padded;\n";
}

/// The adaptive window of (oh, ow) and its element count.
std::string adaptiveWindow(const PoolGeometry &g) {
  return "long long hs = oh * " + num(g.h) + " / " + num(g.oh) +
         ", he = ((oh + 1) * " + num(g.h) + " + " + num(g.oh - 1) + ") / " +
         num(g.oh) + ";\nlong long ws = ow * " + num(g.w) + " / " + num(g.ow) +
         ", we = ((ow + 1) * " + num(g.w) + " + " + num(g.ow - 1) + ") / " +
         num(g.ow) + ";\ndouble div = (double)((he - hs) * (we - ws));\n";
}

/// Sums the window hs..he x ws..we of the input plane into acc.
std::string windowSum(const PoolGeometry &g, const ValueRef &x) {
  return "double acc = 0;\n"
         "for (long long ih = hs; ih < he; ++ih)\n"
         "for (long long iw = ws; iw < we; ++iw) acc += (double)" +
         at(x, "xb + ih * " + num(g.w) + " + iw") + ";\n";
}

/// Adds share to every element of the window of the result plane.
std::string windowScatter(const PoolGeometry &g, const std::string &dx,
                          const std::string &T) {
  return "for (long long ih = hs; ih < he; ++ih)\n"
         "for (long long iw = ws; iw < we; ++iw) " + dx + "[xb + ih * " +
         num(g.w) + " + iw] += (" + T + ")share;\n";
}

/// Clears the result plane at xb (a backward op's, the input's shape).
std::string zeroPlane(const PoolGeometry &g, const std::string &T) {
  return "for (long long i = 0; i < " + num(g.h * g.w) + "; ++i) DX[xb + i] = (" +
         T + ")0;\n";
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
  auto forward = [&](const PoolGeometry &g, const std::string &body) {
    return parallelBlocks(id, g.n * g.c, blockPointers(n, vo, "Y"),
                          outputLoops(g, body));
  };
  auto backward = [&](const PoolGeometry &g, const std::string &body) {
    return parallelBlocks(id, g.n * g.c, blockPointers(n, vo, "DX"),
                          outputLoops(g, body, zeroPlane(g, T)));
  };
  // An if chain, not a switch: OpEmitter::emit's switch over every op kind
  // is the one the compiler checks for completeness.
  if (n->op == OpKind::MaxPool2d) {
    PoolGeometry g = poolGeometry(x0->type.shape, n->attrs, true, "max_pool2d");
    return forward(g, maxSearch(g, a, T, false) + "Y[o] = best;\n");
  }
  if (n->op == OpKind::MaxPool2dBackward) {
    const Node *x = n->operands[1];
    PoolGeometry g = poolGeometry(x->type.shape, n->attrs, true, "max_pool2d");
    return backward(g, maxSearch(g, b, T, true) + "(void)best;\nif (bi >= 0) DX[xb + bi] += " +
                           at(a, "o") + ";\n");
  }
  if (n->op == OpKind::AvgPool2d) {
    PoolGeometry g = poolGeometry(x0->type.shape, n->attrs, false, "avg_pool2d");
    return forward(g, avgWindow(g, countPad) + windowSum(g, a) +
                          "Y[o] = hs < he && ws < we ? (" + T + ")(acc / div) : (" + T +
                          ")0;\n");
  }
  if (n->op == OpKind::AvgPool2dBackward) {
    PoolGeometry g = poolGeometry(getInts(n->attrs, "input_size", {}), n->attrs,
                                  false, "avg_pool2d");
    return backward(g, avgWindow(g, countPad) + "double share = (double)" +
                           at(a, "o") + " / div;\n" + windowScatter(g, "DX", T));
  }
  if (n->op == OpKind::AdaptiveAvgPool2d) {
    PoolGeometry g = adaptivePoolGeometry(x0->type.shape, n->attrs);
    return forward(g, adaptiveWindow(g) + windowSum(g, a) + "Y[o] = (" + T +
                          ")(acc / div);\n");
  }
  if (n->op == OpKind::AdaptiveAvgPool2dBackward) {
    PoolGeometry g = adaptivePoolGeometry(getInts(n->attrs, "input_size", {}),
                                          n->attrs);
    return backward(g, adaptiveWindow(g) + "double share = (double)" + at(a, "o") +
                           " / div;\n" + windowScatter(g, "DX", T));
  }
  throw InternalError("codegen", std::string("'") + n->info().name +
                                     "' is not a pooling op");
}

} // namespace gradc
