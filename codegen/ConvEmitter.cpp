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
#include "codegen/EmitUtil.h"

#include "codegen/ParallelBlocks.h"

#include "ir/ConvGeometry.h"
#include "ir/Error.h"

#include <algorithm>
#include <vector>

namespace gradc {

namespace {

using emit::num;

using emit::at;

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

// --- im2col + GEMM ------------------------------------------------------
//
// For image n and group gi, the column matrix col[CG*KH*KW][OH*OW] holds at
// row (c, kh, kw), column (oh, ow) the input element that tap reads (0 in
// the padding). Then, per image and group, with K = CG*KH*KW, P = OH*OW:
//   y[n, group]   = w[group] (OG x K) @ col (K x P)            (forward)
//   dw[group]    += g[n, group] (OG x P) @ col^T (P x K)        (weight)
//   dcol          = w[group]^T (K x OG) @ g[n, group] (OG x P),
//   dx[n, group] += col2im(dcol)                                (input)
// as OpenBLAS GEMM calls. col lives on the stack up to kConvColumnBytes;
// a larger one (up to kConvHeapColumnBytes) is allocated on the heap, once
// per range of blocks a thread runs: a few page faults per call cost far
// less than the direct loops, which took 8-116x oneDNN's time on a
// ResNet-style 64->64 3x3 layer at 56x56 (docs/performance.md).

std::string gemmCall(bool f32, bool ta, bool tb, int64_t m, int64_t nn, int64_t k,
                     const std::string &a, int64_t lda, const std::string &b,
                     int64_t ldb, const std::string &beta, const std::string &c,
                     int64_t ldc) {
  return std::string(f32 ? "cblas_sgemm" : "cblas_dgemm") + "(101, " +
         (ta ? "112" : "111") + ", " + (tb ? "112" : "111") + ", " +
         std::to_string(m) + ", " + std::to_string(nn) + ", " + std::to_string(k) +
         ", 1, " + a + ", " + std::to_string(lda) + ", " + b + ", " +
         std::to_string(ldb) + ", " + beta + ", " + c + ", " + std::to_string(ldc) +
         ");\n";
}

/// Loops over the rows (c, kh, kw) of the column matrix and the output rows
/// oh whose input row is inside; `inside` runs for columns [lo, hi), with
/// cr the row's offset in col and xi the input offset of column ow.
std::string columnLoops(const ConvGeometry &g, const std::string &outside,
                        const std::string &inside) {
  return "for (long long c = 0; c < " + num(g.cg()) + "; ++c)\n"
         "for (long long kh = 0; kh < " + num(g.kh) + "; ++kh)\n"
         "for (long long kw = 0; kw < " + num(g.kw) + "; ++kw) {\n"
         "long long cr = ((c * " + num(g.kh) + " + kh) * " + num(g.kw) + " + kw) * " +
         num(g.oh * g.ow) + ";\n"
         "long long ci = gi * " + num(g.cg()) + " + c;\n" + columnRange(g) +
         "for (long long oh = 0; oh < " + num(g.oh) + "; ++oh) {\n"
         "long long ih = oh * " + num(g.sh) + " - " + num(g.padTop) + " + kh * " +
         num(g.dh) + ";\nbool rowIn = ih >= 0 && ih < " + num(g.h) + ";\n" + outside +
         "if (!rowIn) continue;\n"
         "for (long long ow = lo; ow < hi; ++ow) {\n"
         "long long xi = ((n * " + num(g.c) + " + ci) * " + num(g.h) + " + ih) * " +
         num(g.w) + " + ow * " + num(g.sw) + " + off;\n" + inside + "}\n}\n}\n";
}

/// Blocks of images the weight gradient is split into: each block sums its
/// images into its own partial gradient and the partials are added in
/// block order, so the result is the same for any thread count. At most
/// kWeightBlocks, and the partials together within kWeightPartialHeapBytes;
/// they live on the stack up to kWeightPartialBytes, else on the heap (a
/// ResNet-style 64->64 3x3 weight is 144 KiB: kept to one block by the
/// stack bound, its images did not split over threads).
constexpr int64_t kWeightBlocks = 8;
constexpr int64_t kWeightPartialBytes = 256 * 1024;
constexpr int64_t kWeightPartialHeapBytes = 16 * 1024 * 1024;

int64_t weightBlocks(int64_t images, int64_t weightBytes) {
  int64_t blocks = std::min<int64_t>(images, kWeightBlocks);
  while (blocks > 1 && blocks * weightBytes > kWeightPartialHeapBytes) --blocks;
  return std::max<int64_t>(blocks, 1);
}

/// The im2col + GEMM form, parallel over the images of the batch: each
/// image is independent in the forward and input-gradient convolutions;
/// the weight gradient sums over images, in fixed blocks (weightBlocks).
/// The GEMMs of one image of a small layer (LeNet's) are small enough that
/// OpenBLAS runs each on the calling thread; those of a large layer it
/// splits over its own threads too, and the two levels then compete
/// (docs/performance.md, "Convolution candidates").
std::string gemmForm(const Node *n, const ConvGeometry &g,
                     const std::function<ValueRef(const Node *)> &vo) {
  bool f32 = n->type.dtype == DType::F32;
  std::string T = dtypeCppName(n->type.dtype);
  std::string cT = "const " + T + " *", mT = T + " *";
  int64_t K = g.cg() * g.kh * g.kw, P = g.oh * g.ow, OG = g.og();
  std::string id = "conv" + std::to_string(n->id);
  bool heap = K * P * (f32 ? 4 : 8) > kConvColumnBytes;
  std::string col =
      heap ? T + " *col = (" + T + " *)calloc(" + std::to_string(K * P) + "ULL, sizeof(" +
                 T + "));\nif (!col) __builtin_trap(); // out of memory\n"
           : T + " col[" + std::to_string(K * P) + "];\n";
  std::string freeCol = heap ? "free(col);\n" : "";
  std::string groups = "for (long long gi = 0; gi < " + num(g.groups) + "; ++gi) {\n";
  // im2col: zeros where the tap reads padding, the input elsewhere.
  auto im2col = [&](const std::string &x) {
    return columnLoops(g,
                       "for (long long ow = 0; ow < " + num(g.ow) +
                           "; ++ow) if (!rowIn || ow < lo || ow >= hi) col[cr + oh * " +
                           num(g.ow) + " + ow] = (" + T + ")0;\n",
                       "col[cr + oh * " + num(g.ow) + " + ow] = " + x + "[xi];\n");
  };
  std::string wOff = "gi * " + num(OG * K);
  std::string yOff = "(n * " + num(g.o) + " + gi * " + num(OG) + ") * " + num(P);
  std::string out = vo(n).ptr;
  if (n->op == OpKind::Conv2d || n->op == OpKind::Conv1d) {
    std::vector<BlockPointer> pointers = {{cT, "X", vo(n->operands[0]).ptr},
                                          {cT, "W", vo(n->operands[1]).ptr},
                                          {mT, "Y", out}};
    std::string bias;
    if (n->operands.size() == 3) {
      ValueRef b = vo(n->operands[2]);
      if (!b.isSplat()) {
        pointers.push_back({cT, "B", b.ptr});
        b.ptr = "B";
      }
      bias = "for (long long o = 0; o < " + num(g.o) + "; ++o)\n"
             "for (long long i = 0; i < " + num(P) + "; ++i) Y[(n * " + num(g.o) +
             " + o) * " + num(P) + " + i] += " + at(b, "o") + ";\n";
    }
    std::string body = col + "for (long long n = b0; n < b1; ++n) {\n" + groups +
                       im2col("X") +
                       gemmCall(f32, false, false, OG, P, K, "W + " + wOff, K, "col",
                                P, "0", "Y + " + yOff, P) +
                       "}\n" + bias + "}\n" + freeCol;
    return parallelBlocks(id, g.n, pointers, body);
  }
  if (n->op == OpKind::Conv2dWeightBackward) {
    int64_t wsize = n->type.numel();
    int64_t blocks = weightBlocks(g.n, wsize * (f32 ? 4 : 8));
    bool heapPart = blocks * wsize * (f32 ? 4 : 8) > kWeightPartialBytes;
    std::string part = id + "_part", count = std::to_string(blocks * wsize);
    std::string per = num((g.n + blocks - 1) / blocks);
    std::string body =
        col + "for (long long blk = b0; blk < b1; ++blk) {\n" + mT + "dw = PART + blk * " +
        num(wsize) + ";\nfor (long long i = 0; i < " + num(wsize) + "; ++i) dw[i] = (" +
        T + ")0;\nlong long n1 = (blk + 1) * " + per + ";\nif (n1 > " + num(g.n) +
        ") n1 = " + num(g.n) + ";\nfor (long long n = blk * " + per +
        "; n < n1; ++n) {\n" + groups + im2col("X") +
        gemmCall(f32, false, true, OG, K, P, "G + " + yOff, P, "col", P, "1",
                 "dw + " + wOff, K) +
        "}\n}\n}\n" + freeCol;
    // Partial sums in block order: the same result for any thread count.
    return (heapPart ? T + " *" + part + " = (" + T + " *)calloc(" + count +
                           "ULL, sizeof(" + T + "));\nif (!" + part +
                           ") __builtin_trap(); // out of memory\n"
                     : T + " " + part + "[" + count + "];\n") +
           parallelBlocks(id, blocks,
                          {{cT, "G", vo(n->operands[0]).ptr},
                           {cT, "X", vo(n->operands[1]).ptr},
                           {mT, "PART", id + "_part"}},
                          body) +
           "for (long long i = 0; i < " + num(wsize) + "; ++i) {\n" + T + " s = " + id +
           "_part[i];\nfor (long long blk = 1; blk < " + num(blocks) +
           "; ++blk) s += " + id + "_part[blk * " + num(wsize) + " + i];\n" + out +
           "[i] = s;\n}\n" + (heapPart ? "free(" + part + ");\n" : "");
  }
  // Input backward: dcol = w^T g, then scatter-add into dx, image by image.
  int64_t image = g.c * g.h * g.w;
  std::string body =
      col + "for (long long n = b0; n < b1; ++n) {\n"
            "for (long long i = 0; i < " + num(image) + "; ++i) D[n * " + num(image) +
      " + i] = (" + T + ")0;\n" + groups +
      gemmCall(f32, true, false, K, P, OG, "W + " + wOff, K, "G + " + yOff, P, "0",
               "col", P) +
      columnLoops(g, "", "D[xi] += col[cr + oh * " + num(g.ow) + " + ow];\n") +
      "}\n}\n" + freeCol;
  return parallelBlocks(id, g.n,
                        {{cT, "G", vo(n->operands[0]).ptr},
                         {cT, "W", vo(n->operands[1]).ptr},
                         {mT, "D", out}},
                        body);
}

/// True when the GEMM form applies: every tensor operand in memory and one
/// column matrix within kConvHeapColumnBytes.
bool gemmFits(const Node *n, const ConvGeometry &g,
              const std::function<ValueRef(const Node *)> &vo) {
  for (size_t i = 0; i < 2; ++i)
    if (vo(n->operands[i]).isSplat()) return false;
  int64_t bytes = g.cg() * g.kh * g.kw * g.oh * g.ow *
                  (n->type.dtype == DType::F32 ? 4 : 8);
  return bytes > 0 && bytes <= kConvHeapColumnBytes;
}

} // namespace

std::string convolutionCode(const Node *n,
                            const std::function<ValueRef(const Node *)> &valueOf,
                            bool &callsBlas) {
  if (n->type.numel() == 0) return "";
  {
    ConvGeometry g =
        n->op == OpKind::Conv2dInputBackward
            ? convGeometry(getInts(n->attrs, "input_size", {}),
                           n->operands[1]->type.shape, n->attrs)
        : n->op == OpKind::Conv2dWeightBackward
            ? convGeometry(n->operands[1]->type.shape,
                           getInts(n->attrs, "weight_size", {}), n->attrs)
            : convGeometry(n->operands[0]->type.shape,
                           n->operands[1]->type.shape, n->attrs);
    if (gemmFits(n, g, valueOf)) {
      callsBlas = true;
      return gemmForm(n, g, valueOf);
    }
  }
  // An if chain, not a switch: the caller's switch over every op kind is
  // the one the compiler checks for completeness.
  if (n->op == OpKind::Conv2d || n->op == OpKind::Conv1d) return forward(n, valueOf);
  if (n->op == OpKind::Conv2dInputBackward) return inputBackward(n, valueOf);
  if (n->op == OpKind::Conv2dWeightBackward) return weightBackward(n, valueOf);
  throw InternalError("codegen", std::string("'") + n->info().name +
                                     "' is not a convolution");
}

} // namespace gradc
