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
#include "codegen/CodeWriter.h"
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
void columnRange(CodeWriter &w, const ConvGeometry &g) {
  w.line("long long off = kw * " + num(g.dw) + " - " + num(g.padLeft) + ";");
  w.line("long long lo = off >= 0 ? 0 : (-off + " + num(g.sw - 1) + ") / " +
         num(g.sw) + ";");
  w.line("long long hi = " + num(g.w - 1) + " - off < 0 ? 0 : (" + num(g.w - 1) +
         " - off) / " + num(g.sw) + " + 1;");
  w.line("if (hi > " + num(g.ow) + ") hi = " + num(g.ow) + ";");
  w.line("if (lo > hi) lo = hi;");
}

/// The input row of output row oh for the current kh, and `continue` when
/// it lies in the padding.
void rowCheck(CodeWriter &w, const ConvGeometry &g) {
  w.line("long long ih = oh * " + num(g.sh) + " - " + num(g.padTop) + " + kh * " +
         num(g.dh) + ";");
  w.line("if (ih < 0 || ih >= " + num(g.h) + ") continue;");
}

/// `for (long long v = from; v < to; ++v)`: a loop header.
std::string loop(const std::string &v, const std::string &from,
                 const std::string &to) {
  return "for (long long " + v + " = " + from + "; " + v + " < " + to + "; ++" + v +
         ")";
}

/// Loops over n, o (with gi, the group) and c, the input channel ci and the
/// taps kh, kw, around `body` (which sees lo, hi, off, and the weight wv).
/// Headers without a brace are perfect nests: they share one scope.
std::string tapLoops(const ConvGeometry &g, const ValueRef &w,
                     const std::string &perChannel, const std::string &body,
                     const std::string &T) {
  CodeWriter c;
  c.line(loop("n", "0", num(g.n)));
  c.open(loop("o", "0", num(g.o)));
  c.line("long long gi = o / " + num(g.og()) + ";");
  c.lines(perChannel);
  c.open(loop("c", "0", num(g.cg())));
  c.line("long long ci = gi * " + num(g.cg()) + " + c;");
  c.line(loop("kh", "0", num(g.kh)));
  c.open(loop("kw", "0", num(g.kw)));
  c.line(T + " wv = " + at(w, "((o * " + num(g.cg()) + " + c) * " + num(g.kh) +
                                  " + kh) * " + num(g.kw) + " + kw") + ";");
  columnRange(c, g);
  c.open(loop("oh", "0", num(g.oh)));
  rowCheck(c, g);
  c.lines(body);
  c.close();
  c.close();
  c.close();
  c.close();
  return c.str();
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
  std::string init = loop("i", "0", num(g.oh * g.ow)) + " " + y + "[(n * " +
                     num(g.o) + " + o) * " + num(g.oh * g.ow) + " + i] = " + bias +
                     ";";
  std::string body = loop("ow", "lo", "hi") + " " + y + "[" + yIndex(g) +
                     "] += wv * " + at(x, xIndex(g)) + ";";
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
  std::string body = loop("ow", "lo", "hi") + " " + dx + "[" + xIndex(g) +
                     "] += wv * " + at(gy, yIndex(g)) + ";";
  CodeWriter c;
  c.line(loop("i", "0", num(n->type.numel())) + " " + dx + "[i] = (" + T + ")0;");
  c.lines(tapLoops(g, w, "", body, T));
  return c.str();
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
  CodeWriter w;
  w.open(loop("o", "0", num(g.o)));
  w.line("long long gi = o / " + num(g.og()) + ";");
  w.open(loop("c", "0", num(g.cg())));
  w.line("long long ci = gi * " + num(g.cg()) + " + c;");
  w.line(loop("kh", "0", num(g.kh)));
  w.open(loop("kw", "0", num(g.kw)));
  columnRange(w, g);
  w.line("double acc = 0;");
  w.line(loop("n", "0", num(g.n)));
  w.open(loop("oh", "0", num(g.oh)));
  rowCheck(w, g);
  w.line(loop("ow", "lo", "hi") + " acc += (double)" + at(gy, yIndex(g)) +
         " * (double)" + at(x, xIndex(g)) + ";");
  w.close();
  w.line(dw + "[((o * " + num(g.cg()) + " + c) * " + num(g.kh) + " + kh) * " +
         num(g.kw) + " + kw] = (" + T + ")acc;");
  w.close();
  w.close();
  w.close();
  return w.str();
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
         ");";
}

/// Loops over the rows (c, kh, kw) of the column matrix and the output rows
/// oh whose input row is inside; `inside` runs for columns [lo, hi), with
/// cr the row's offset in col and xi the input offset of column ow.
void columnLoops(CodeWriter &w, const ConvGeometry &g, const std::string &outside,
                 const std::string &inside) {
  w.line(loop("c", "0", num(g.cg())));
  w.line(loop("kh", "0", num(g.kh)));
  w.open(loop("kw", "0", num(g.kw)));
  w.line("long long cr = ((c * " + num(g.kh) + " + kh) * " + num(g.kw) + " + kw) * " +
         num(g.oh * g.ow) + ";");
  w.line("long long ci = gi * " + num(g.cg()) + " + c;");
  columnRange(w, g);
  w.open(loop("oh", "0", num(g.oh)));
  w.line("long long ih = oh * " + num(g.sh) + " - " + num(g.padTop) + " + kh * " +
         num(g.dh) + ";");
  w.line("bool rowIn = ih >= 0 && ih < " + num(g.h) + ";");
  w.lines(outside);
  w.line("if (!rowIn) continue;");
  w.open(loop("ow", "lo", "hi"));
  w.line("long long xi = ((n * " + num(g.c) + " + ci) * " + num(g.h) + " + ih) * " +
         num(g.w) + " + ow * " + num(g.sw) + " + off;");
  w.lines(inside);
  w.close();
  w.close();
  w.close();
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
  // The column matrix of the thread running a range of blocks.
  auto allocColumn = [&](CodeWriter &w) {
    if (!heap) {
      w.line(T + " col[" + std::to_string(K * P) + "];");
      return;
    }
    w.line(T + " *col = (" + T + " *)calloc(" + std::to_string(K * P) +
           "ULL, sizeof(" + T + "));");
    w.line("if (!col) __builtin_trap(); // out of memory");
  };
  auto freeColumn = [&](CodeWriter &w) {
    if (heap) w.line("free(col);");
  };
  std::string groups = loop("gi", "0", num(g.groups));
  // im2col: zeros where the tap reads padding, the input elsewhere.
  auto im2col = [&](CodeWriter &w, const std::string &x) {
    columnLoops(w, g,
                loop("ow", "0", num(g.ow)) +
                    " if (!rowIn || ow < lo || ow >= hi) col[cr + oh * " +
                    num(g.ow) + " + ow] = (" + T + ")0;",
                "col[cr + oh * " + num(g.ow) + " + ow] = " + x + "[xi];");
  };
  std::string wOff = "gi * " + num(OG * K);
  std::string yOff = "(n * " + num(g.o) + " + gi * " + num(OG) + ") * " + num(P);
  std::string out = vo(n).ptr;
  CodeWriter body;
  allocColumn(body);
  if (n->op == OpKind::Conv2d || n->op == OpKind::Conv1d) {
    std::vector<BlockPointer> pointers = {{cT, "X", vo(n->operands[0]).ptr},
                                          {cT, "W", vo(n->operands[1]).ptr},
                                          {mT, "Y", out}};
    body.open(loop("n", "b0", "b1"));
    body.open(groups);
    im2col(body, "X");
    body.line(gemmCall(f32, false, false, OG, P, K, "W + " + wOff, K, "col", P, "0",
                       "Y + " + yOff, P));
    body.close();
    if (n->operands.size() == 3) {
      ValueRef b = vo(n->operands[2]);
      if (!b.isSplat()) {
        pointers.push_back({cT, "B", b.ptr});
        b.ptr = "B";
      }
      body.line(loop("o", "0", num(g.o)));
      body.line(loop("i", "0", num(P)) + " Y[(n * " + num(g.o) + " + o) * " + num(P) +
                " + i] += " + at(b, "o") + ";");
    }
    body.close();
    freeColumn(body);
    return parallelBlocks(id, g.n, pointers, body.str());
  }
  if (n->op == OpKind::Conv2dWeightBackward) {
    int64_t wsize = n->type.numel();
    int64_t blocks = weightBlocks(g.n, wsize * (f32 ? 4 : 8));
    bool heapPart = blocks * wsize * (f32 ? 4 : 8) > kWeightPartialBytes;
    std::string part = id + "_part", count = std::to_string(blocks * wsize);
    std::string per = num((g.n + blocks - 1) / blocks);
    body.open(loop("blk", "b0", "b1"));
    body.line(mT + "dw = PART + blk * " + num(wsize) + ";");
    body.line(loop("i", "0", num(wsize)) + " dw[i] = (" + T + ")0;");
    body.line("long long n1 = (blk + 1) * " + per + ";");
    body.line("if (n1 > " + num(g.n) + ") n1 = " + num(g.n) + ";");
    body.open(loop("n", "blk * " + per, "n1"));
    body.open(groups);
    im2col(body, "X");
    body.line(gemmCall(f32, false, true, OG, K, P, "G + " + yOff, P, "col", P, "1",
                       "dw + " + wOff, K));
    body.close();
    body.close();
    body.close();
    freeColumn(body);
    CodeWriter w;
    if (heapPart) {
      w.line(T + " *" + part + " = (" + T + " *)calloc(" + count + "ULL, sizeof(" + T +
             "));");
      w.line("if (!" + part + ") __builtin_trap(); // out of memory");
    } else {
      w.line(T + " " + part + "[" + count + "];");
    }
    w.lines(parallelBlocks(id, blocks,
                           {{cT, "G", vo(n->operands[0]).ptr},
                            {cT, "X", vo(n->operands[1]).ptr},
                            {mT, "PART", part}},
                           body.str()));
    // Partial sums in block order: the same result for any thread count.
    w.open(loop("i", "0", num(wsize)));
    w.line(T + " s = " + part + "[i];");
    w.line(loop("blk", "1", num(blocks)) + " s += " + part + "[blk * " + num(wsize) +
           " + i];");
    w.line(out + "[i] = s;");
    w.close();
    if (heapPart) w.line("free(" + part + ");");
    return w.str();
  }
  // Input backward: dcol = w^T g, then scatter-add into dx, image by image.
  int64_t image = g.c * g.h * g.w;
  body.open(loop("n", "b0", "b1"));
  body.line(loop("i", "0", num(image)) + " D[n * " + num(image) + " + i] = (" + T +
            ")0;");
  body.open(groups);
  body.line(gemmCall(f32, true, false, K, P, OG, "W + " + wOff, K, "G + " + yOff, P,
                     "0", "col", P));
  columnLoops(body, g, "", "D[xi] += col[cr + oh * " + num(g.ow) + " + ow];");
  body.close();
  body.close();
  freeColumn(body);
  return parallelBlocks(id, g.n,
                        {{cT, "G", vo(n->operands[0]).ptr},
                         {cT, "W", vo(n->operands[1]).ptr},
                         {mT, "D", out}},
                        body.str());
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
