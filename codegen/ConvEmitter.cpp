//===- codegen/ConvEmitter.cpp - Loop nests of convolutions ---------------===//
//
// Notation: input x [N, C, H, W], weight w [O, C/G, KH, KW], result y
// [N, O, OH, OW], G groups; output channel o reads input channels
// (o / (O/G)) * (C/G) + c for c < C/G. For a kernel tap (kh, kw):
//   ih = oh * SH - PT + kh * DH,  iw = ow * SW - PL + kw * DW,
// and the tap contributes only where 0 <= ih < H and 0 <= iw < W. For each
// tap the valid columns are one range [lo, hi) of ow, computed in the
// generated code, and invalid rows are skipped.
//
//===----------------------------------------------------------------------===//
#include "codegen/ConvEmitter.h"

#include "ir/ConvGeometry.h"
#include "ir/Error.h"

namespace gradc {

namespace {

std::string num(int64_t v) { return std::to_string(v) + "LL"; }

/// Reads `ref` at index expression `idx` (a splat ignores the index).
std::string at(const ValueRef &ref, const std::string &idx) {
  return ref.isSplat() ? ref.literal : ref.ptr + "[" + idx + "]";
}

/// Defines lo/hi, the range of output columns whose input column
/// ow * SW + off lies in [0, W), for the current kw.
std::string columnRange(const ConvGeometry &g) {
  return "long long off = kw * " + num(g.dw) + " - " + num(g.padLeft) +
         ";\nlong long lo = off >= 0 ? 0 : (-off + " + num(g.sw - 1) + ") / " +
         num(g.sw) + ";\nlong long hi = " + num(g.w - 1) + " - off < 0 ? 0 : (" +
         num(g.w - 1) + " - off) / " + num(g.sw) + " + 1;\nif (hi > " + num(g.ow) +
         ") hi = " + num(g.ow) + ";\nif (lo > hi) lo = hi;\n";
}

/// The input row of output row oh for the current kh, and `continue` when
/// it lies in the padding.
std::string rowCheck(const ConvGeometry &g) {
  return "long long ih = oh * " + num(g.sh) + " - " + num(g.padTop) + " + kh * " +
         num(g.dh) + ";\nif (ih < 0 || ih >= " + num(g.h) + ") continue;\n";
}

/// Loops over n, o (with gi, the group) and c, the input channel ci and the
/// taps kh, kw, around `body` (which sees lo, hi, off, and the weight wv).
std::string tapLoops(const ConvGeometry &g, const ValueRef &w,
                     const std::string &perChannel, const std::string &body,
                     const std::string &T) {
  return "for (long long n = 0; n < " + num(g.n) + "; ++n)\n"
         "for (long long o = 0; o < " + num(g.o) + "; ++o) {\n"
         "long long gi = o / " + num(g.og()) + ";\n" + perChannel +
         "for (long long c = 0; c < " + num(g.cg()) + "; ++c) {\n"
         "long long ci = gi * " + num(g.cg()) + " + c;\n"
         "for (long long kh = 0; kh < " + num(g.kh) + "; ++kh)\n"
         "for (long long kw = 0; kw < " + num(g.kw) + "; ++kw) {\n" +
         T + " wv = " + at(w, "((o * " + num(g.cg()) + " + c) * " + num(g.kh) +
                              " + kh) * " + num(g.kw) + " + kw") + ";\n" +
         columnRange(g) + "for (long long oh = 0; oh < " + num(g.oh) + "; ++oh) {\n" +
         rowCheck(g) + body + "}\n}\n}\n}\n";
}

std::string xIndex(const ConvGeometry &g) {
  return "((n * " + num(g.c) + " + ci) * " + num(g.h) + " + ih) * " + num(g.w) +
         " + ow * " + num(g.sw) + " + off";
}

std::string yIndex(const ConvGeometry &g) {
  return "((n * " + num(g.o) + " + o) * " + num(g.oh) + " + oh) * " + num(g.ow) +
         " + ow";
}

/// y = b + x (*) w: the result starts at the bias, then every tap adds
/// wv * x along the valid columns of each output row.
std::string forward(const Node *n, const std::function<ValueRef(const Node *)> &vo) {
  const Node *xn = n->operands[0], *wn = n->operands[1];
  ConvGeometry g = convGeometry(xn->type.shape, wn->type.shape, n->attrs);
  std::string T = dtypeCppName(n->type.dtype);
  std::string y = vo(n).ptr;
  ValueRef x = vo(xn), w = vo(wn);
  std::string bias = n->operands.size() == 3
                         ? at(vo(n->operands[2]), "o")
                         : "(" + T + ")0";
  std::string init = "for (long long i = 0; i < " + num(g.oh * g.ow) + "; ++i) " +
                     y + "[(n * " + num(g.o) + " + o) * " + num(g.oh * g.ow) +
                     " + i] = " + bias + ";\n";
  std::string body = "for (long long ow = lo; ow < hi; ++ow) " + y + "[" +
                     yIndex(g) + "] += wv * " + at(x, xIndex(g)) + ";\n";
  return tapLoops(g, w, init, body, T);
}

/// dx = g (*)^T w: zeros, then every tap scatters wv * g back to the input
/// positions it read (in a fixed order: deterministic).
std::string inputBackward(const Node *n,
                          const std::function<ValueRef(const Node *)> &vo) {
  const Node *gn = n->operands[0], *wn = n->operands[1];
  ConvGeometry g = convGeometry(getInts(n->attrs, "input_size", {}),
                                wn->type.shape, n->attrs);
  std::string T = dtypeCppName(n->type.dtype);
  std::string dx = vo(n).ptr;
  ValueRef gy = vo(gn), w = vo(wn);
  std::string zero = "for (long long i = 0; i < " + num(n->type.numel()) +
                     "; ++i) " + dx + "[i] = (" + T + ")0;\n";
  std::string body = "for (long long ow = lo; ow < hi; ++ow) " + dx + "[" +
                     xIndex(g) + "] += wv * " + at(gy, yIndex(g)) + ";\n";
  return zero + tapLoops(g, w, "", body, T);
}

/// dw[o, c, kh, kw] = sum over n, oh, ow of g[n, o, oh, ow] x[n, ci, ih, iw],
/// accumulated in double (a long sum: N * OH * OW terms).
std::string weightBackward(const Node *n,
                           const std::function<ValueRef(const Node *)> &vo) {
  const Node *gn = n->operands[0], *xn = n->operands[1];
  ConvGeometry g = convGeometry(xn->type.shape,
                                getInts(n->attrs, "weight_size", {}), n->attrs);
  std::string T = dtypeCppName(n->type.dtype);
  std::string dw = vo(n).ptr;
  ValueRef gy = vo(gn), x = vo(xn);
  return "for (long long o = 0; o < " + num(g.o) + "; ++o) {\n"
         "long long gi = o / " + num(g.og()) + ";\n"
         "for (long long c = 0; c < " + num(g.cg()) + "; ++c) {\n"
         "long long ci = gi * " + num(g.cg()) + " + c;\n"
         "for (long long kh = 0; kh < " + num(g.kh) + "; ++kh)\n"
         "for (long long kw = 0; kw < " + num(g.kw) + "; ++kw) {\n" +
         columnRange(g) + "double acc = 0;\n"
         "for (long long n = 0; n < " + num(g.n) + "; ++n)\n"
         "for (long long oh = 0; oh < " + num(g.oh) + "; ++oh) {\n" + rowCheck(g) +
         "for (long long ow = lo; ow < hi; ++ow) acc += (double)" +
         at(gy, yIndex(g)) + " * (double)" + at(x, xIndex(g)) + ";\n}\n" + dw +
         "[((o * " + num(g.cg()) + " + c) * " + num(g.kh) + " + kh) * " +
         num(g.kw) + " + kw] = (" + T + ")acc;\n}\n}\n}\n";
}

} // namespace

std::string convolutionCode(const Node *n,
                            const std::function<ValueRef(const Node *)> &valueOf) {
  if (n->type.numel() == 0) return "";
  // An if chain, not a switch: the caller's switch over every op kind is
  // the one the compiler checks for completeness.
  if (n->op == OpKind::Conv2d || n->op == OpKind::Conv1d) return forward(n, valueOf);
  if (n->op == OpKind::Conv2dInputBackward) return inputBackward(n, valueOf);
  if (n->op == OpKind::Conv2dWeightBackward) return weightBackward(n, valueOf);
  throw InternalError("codegen", std::string("'") + n->info().name +
                                     "' is not a convolution");
}

} // namespace gradc
