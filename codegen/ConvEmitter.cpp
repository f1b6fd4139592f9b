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
#include "codegen/ConvDirect.h"
#include "codegen/EmitUtil.h"

#include "codegen/ParallelBlocks.h"

#include "ir/ConvGeometry.h"
#include "ir/Error.h"

#include <algorithm>
#include <vector>

namespace gradc {

namespace {

using emit::num;
using emit::forLoop;

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

/// Loops over n, o (with gi, the group) and c, the input channel ci and the
/// taps kh, kw, around `body` (which sees lo, hi, off, and the weight wv).
/// Headers without a brace are perfect nests: they share one scope.
std::string tapLoops(const ConvGeometry &g, const ValueRef &w,
                     const std::string &perChannel, const std::string &body,
                     const std::string &T) {
  CodeWriter c;
  c.line(forLoop("n", "0", num(g.n)));
  c.open(forLoop("o", "0", num(g.o)));
  c.line("long long gi = o / " + num(g.og()) + ";");
  c.lines(perChannel);
  c.open(forLoop("c", "0", num(g.cg())));
  c.line("long long ci = gi * " + num(g.cg()) + " + c;");
  c.line(forLoop("kh", "0", num(g.kh)));
  c.open(forLoop("kw", "0", num(g.kw)));
  c.line(T + " wv = " + at(w, "((o * " + num(g.cg()) + " + c) * " + num(g.kh) +
                                  " + kh) * " + num(g.kw) + " + kw") + ";");
  columnRange(c, g);
  c.open(forLoop("oh", "0", num(g.oh)));
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
  std::string init = forLoop("i", "0", num(g.oh * g.ow)) + " " + y + "[(n * " +
                     num(g.o) + " + o) * " + num(g.oh * g.ow) + " + i] = " + bias +
                     ";";
  std::string body = forLoop("ow", "lo", "hi") + " " + y + "[" + yIndex(g) +
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
  std::string body = forLoop("ow", "lo", "hi") + " " + dx + "[" + xIndex(g) +
                     "] += wv * " + at(gy, yIndex(g)) + ";";
  CodeWriter c;
  c.line(forLoop("i", "0", num(n->type.numel())) + " " + dx + "[i] = (" + T + ")0;");
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
  w.open(forLoop("o", "0", num(g.o)));
  w.line("long long gi = o / " + num(g.og()) + ";");
  w.open(forLoop("c", "0", num(g.cg())));
  w.line("long long ci = gi * " + num(g.cg()) + " + c;");
  w.line(forLoop("kh", "0", num(g.kh)));
  w.open(forLoop("kw", "0", num(g.kw)));
  columnRange(w, g);
  w.line("double acc = 0;");
  w.line(forLoop("n", "0", num(g.n)));
  w.open(forLoop("oh", "0", num(g.oh)));
  rowCheck(w, g);
  w.line(forLoop("ow", "lo", "hi") + " acc += (double)" + at(gy, yIndex(g)) +
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
// as BLAS GEMM calls. The columns are built a tile of output rows at a
// time (tileRows): each GEMM then reads a column matrix that its thread
// just wrote and that still sits in the core's L2 cache, instead of one of
// several MiB (a ResNet-style 64->64 3x3 layer at 56x56: 7 MiB per image)
// written out to L3 and read back. A GEMM over a tile computes the same
// sums as one over the whole image (the tile splits P, which is not summed
// over, except in the weight gradient, where the tiles add in a fixed
// order), so the tiling is the same on any thread count. col lives on the
// stack up to kConvColumnBytes, else on the heap, allocated once per range
// of blocks a thread runs.

/// "n" as a C++ integer literal: GEMM sizes and leading dimensions.
std::string dim(int64_t v) { return std::to_string(v); }

/// Output rows per tile of the column matrix: as many as keep one tile's
/// column matrix (K rows of rows * OW) within kConvTileBytes, at least one,
/// then evened out over the tiles that makes.
int64_t tileRows(const ConvGeometry &g, int64_t elemBytes) {
  int64_t rowBytes = g.cg() * g.kh * g.kw * g.ow * elemBytes;
  int64_t rows =
      std::max<int64_t>(1, kConvTileBytes / std::max<int64_t>(rowBytes, 1));
  if (rows >= g.oh) return g.oh;
  int64_t tiles = (g.oh + rows - 1) / rows;
  return (g.oh + tiles - 1) / tiles;
}

/// Opens the loop over the tiles of output rows [r0, r1), R rows each (the
/// last may be shorter), with tp = (r1 - r0) * OW columns in the tile.
void openTiles(CodeWriter &w, const ConvGeometry &g, int64_t R) {
  int64_t tiles = (g.oh + R - 1) / R;
  w.open(forLoop("t", "0", num(tiles)));
  w.line("long long r0 = t * " + num(R) + ";");
  w.line("long long r1 = r0 + " + num(R) + " < " + num(g.oh) + " ? r0 + " + num(R) +
         " : " + num(g.oh) + ";");
  w.line("long long tp = (r1 - r0) * " + num(g.ow) + ";");
}

/// The padded input rows of a tile: output rows [r0, r1) read input rows
/// r0 * SH - PT + [0, TR), each row W wide plus the padding on both sides
/// (WP columns).
int64_t tileInputRows(const ConvGeometry &g, int64_t R) {
  return (R - 1) * g.sh + (g.kh - 1) * g.dh + 1;
}

/// `forLoop(v, from, to)` over one row of n elements (a constant), fully
/// unrolled when n <= emit::kUnrollFull: gradc compiles at -O1, where a loop of a
/// few iterations stays a loop with a scalar remainder (the col2im of
/// LeNet's conv2, rows of 10, took 8.5 us per image), whereas unrolled the
/// SLP vectorizer turns it into a few vector operations (1.6 us, as -O2).
/// Longer rows stay loops: unrolled, col2im's adds of rows shifted by one
/// element into the same row stall on store forwarding (rows of 56: 20x
/// slower in a micro-benchmark), and even plain copies of 56 made the
/// ResNet-style layer's forward slower (1.4x -> 1.6x oneDNN).
std::string rowLoop(const std::string &v, const std::string &from, int64_t n,
                    const std::string &to) {
  return (n <= emit::kUnrollFull ? emit::unrollPragma() + "\n" : "") + forLoop(v, from, to);
}

/// Loops over the rows (c, kh, kw) of the column matrix and the output rows
/// oh of the tile [r0, r1); `body` sees cb (where output row oh starts in
/// col) and pb (where its tap's input row starts, so that column ow reads
/// element pb + ow * SW: of xp, or of the input itself when unpadded).
/// Both have constant trip counts and no padding checks: the padding is in
/// xp. `imageColumn`, when given, is added to cb: where the image's columns
/// start in a column matrix of several images side by side.
void columnLoops(CodeWriter &w, const ConvGeometry &g, int64_t TR,
                 const std::string &body, const std::string &imageColumn = "") {
  w.line(forLoop("c", "0", num(g.cg())));
  w.line(forLoop("kh", "0", num(g.kh)));
  w.open(forLoop("kw", "0", num(g.kw)));
  w.line("long long cr = ((c * " + num(g.kh) + " + kh) * " + num(g.kw) +
         " + kw) * tp;");
  w.open(forLoop("oh", "r0", "r1"));
  w.line("long long cb = cr + (oh - r0) * " + num(g.ow) +
         (imageColumn.empty() ? "" : " + " + imageColumn) + ";");
  std::string row = "oh * " + num(g.sh) + " + kh * " + num(g.dh);
  if (!g.padded())
    w.line("long long pb = ((n * " + num(g.c) + " + gi * " + num(g.cg()) +
           " + c) * " + num(g.h) + " + " + row + ") * " + num(g.w) + " + kw * " +
           num(g.dw) + ";");
  else
    w.line("long long pb = (c * " + num(TR) + " + " + row + " - r0 * " + num(g.sh) +
           ") * " + num(g.paddedWidth()) + " + kw * " + num(g.dw) + ";");
  w.lines(body);
  w.close();
  w.close();
}

/// Loops over the padded input rows r of the tile whose input row ih lies
/// inside the input (for channel c of group gi); `body` sees xr (where row
/// ih starts in the input) and pr (where row r starts in xp, after the
/// left padding).
void paddedRows(CodeWriter &w, const ConvGeometry &g, int64_t TR,
                const std::string &outside, const std::string &inside) {
  int64_t WP = g.paddedWidth();
  w.line(forLoop("c", "0", num(g.cg())));
  w.open(forLoop("r", "0", num(TR)));
  w.line("long long ih = r0 * " + num(g.sh) + " - " + num(g.padTop) + " + r;");
  w.line("long long pr = (c * " + num(TR) + " + r) * " + num(WP) + " + " +
         num(g.padLeft) + ";");
  w.open("if (ih < 0 || ih >= " + num(g.h) + ")");
  w.lines(outside);
  w.line("continue;");
  w.close();
  w.line("long long xr = ((n * " + num(g.c) + " + gi * " + num(g.cg()) + " + c) * " +
         num(g.h) + " + ih) * " + num(g.w) + ";");
  w.lines(inside);
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

/// Images whose column matrices the forward convolution puts side by side
/// for one GEMM: more than one only for a convolution of one group whose
/// image is one tile (R == OH) of few columns, so that the GEMM has about
/// kBatchColumns columns instead of P, within kConvTileBytes.
constexpr int64_t kBatchColumns = 1024;
int64_t imagesPerGemm(const ConvGeometry &g, int64_t R, int64_t elem) {
  int64_t P = g.oh * g.ow, K = g.cg() * g.kh * g.kw;
  if (g.groups != 1 || R != g.oh || P <= 0 || P * 2 > kBatchColumns) return 1;
  int64_t images = std::min<int64_t>(g.n, kBatchColumns / P);
  while (images > 1 && K * images * P * elem > kConvTileBytes) --images;
  return std::max<int64_t>(images, 1);
}

/// The im2col + GEMM form, parallel over the images of the batch: each
/// image is independent in the forward and input-gradient convolutions;
/// the weight gradient sums over images, in fixed blocks (weightBlocks).
/// The GEMMs inside the blocks run on their block's thread: the thread
/// pool keeps BLAS on one thread while it runs a job on several
/// (runtime/Blas.h), so the two pools do not compete for the cores.
std::string gemmForm(const Node *n, const ConvGeometry &g,
                     const std::function<ValueRef(const Node *)> &vo) {
  bool f32 = n->type.dtype == DType::F32;
  int64_t elem = f32 ? 4 : 8;
  std::string T = dtypeCppName(n->type.dtype);
  std::string cT = "const " + T + " *", mT = T + " *";
  int64_t K = g.cg() * g.kh * g.kw, P = g.oh * g.ow, OG = g.og();
  int64_t R = tileRows(g, elem), colSize = K * R * g.ow;
  // xp: the tile's input rows with their padding, so that im2col and
  // col2im copy whole output rows with constant offsets and trip counts.
  int64_t TR = tileInputRows(g, R), WP = g.paddedWidth();
  // Without padding there is no xp: im2col reads the input and col2im adds
  // into dx in place.
  int64_t padSize = g.padded() ? g.cg() * TR * WP : 0;
  std::string id = "conv" + std::to_string(n->id);
  // The scratch of the thread running a range of blocks: the column
  // matrix col of `cols` elements, xp, and `extra` elements yb for a GEMM's
  // result; on the stack within kConvColumnBytes, else from calloc (the
  // allocator the generated code declares; a tile's matrix is small, so
  // its zeroing costs little). Returns whether it is on the heap.
  auto allocColumn = [&](CodeWriter &w, int64_t cols, int64_t extra) {
    bool heap = (cols + padSize + extra) * elem > kConvColumnBytes;
    if (!heap) {
      w.line(T + " col[" + dim(cols) + "];");
      if (padSize) w.line(T + " xp[" + dim(padSize) + "];");
      if (extra) w.line(T + " yb[" + dim(extra) + "];");
      return heap;
    }
    w.line(T + " *col = (" + T + " *)calloc(" + dim(cols + padSize + extra) +
           "ULL, sizeof(" + T + "));");
    w.line("if (!col) __builtin_trap(); // out of memory");
    if (padSize) w.line(T + " *xp = col + " + dim(cols) + ";");
    if (extra) w.line(T + " *yb = col + " + dim(cols + padSize) + ";");
    return heap;
  };
  auto freeColumn = [&](CodeWriter &w, bool heap) {
    if (heap) w.line("free(col);");
  };
  std::string groups = forLoop("gi", "0", num(g.groups));
  std::string zero = "(" + T + ")0";
  // im2col of the tile: first the tile's input rows into xp with zeros in
  // the padding, then each column row is a copy of OW elements of xp.
  std::string padL = num(g.padLeft), padR = num(g.padRight), Wn = num(g.w);
  auto im2col = [&](CodeWriter &w, const std::string &imageColumn = "") {
    if (!g.padded()) {
      columnLoops(w, g, TR,
                  rowLoop("ow", "0", g.ow, num(g.ow)) + " col[cb + ow] = X[pb + ow * " +
                      num(g.sw) + "];",
                  imageColumn);
      return;
    }
    paddedRows(w, g, TR,
               rowLoop("i", "-" + padL, WP, Wn + " + " + padR) + " xp[pr + i] = " +
                   zero + ";",
               rowLoop("i", "-" + padL, g.padLeft, "0") + " xp[pr + i] = " + zero +
                   ";\n" + rowLoop("i", "0", g.w, Wn) + " xp[pr + i] = X[xr + i];\n" +
                   rowLoop("i", Wn, g.padRight, Wn + " + " + padR) +
                   " xp[pr + i] = " + zero + ";");
    columnLoops(w, g, TR,
                rowLoop("ow", "0", g.ow, num(g.ow)) + " col[cb + ow] = xp[pb + ow * " +
                    num(g.sw) + "];",
                imageColumn);
  };
  std::string wOff = "W + gi * " + num(OG * K);
  // Where the tile's first column sits in image n's rows of group gi.
  std::string tileOff = "(n * " + num(g.o) + " + gi * " + num(OG) + ") * " + num(P) +
                        " + r0 * " + num(g.ow);
  std::string out = vo(n).ptr;
  CodeWriter body;
  bool heap = allocColumn(body, colSize, 0);
  if (n->op == OpKind::Conv2d || n->op == OpKind::Conv1d) {
    std::vector<BlockPointer> pointers = {{cT, "X", vo(n->operands[0]).ptr},
                                          {cT, "W", vo(n->operands[1]).ptr},
                                          {mT, "Y", out}};
    // The bias fills the tile's rows of y first and the GEMM adds to it
    // (beta 1): one pass over y fewer than adding the bias afterwards.
    std::string beta = "0";
    ValueRef b;
    if (n->operands.size() == 3) {
      b = vo(n->operands[2]);
      if (!b.isSplat()) {
        pointers.push_back({cT, "B", b.ptr});
        b.ptr = "B";
      }
      beta = "1";
    }
    int64_t IB = imagesPerGemm(g, R, elem);
    if (IB > 1) {
      // IB images side by side in one column matrix [K, IB * P], one GEMM
      // into yb [OG, IB * P], then each image's rows copied out (with the
      // bias): LeNet's conv2 has P = 100 columns per image, and a GEMM of
      // 16 x 100 x 150 ran at 70% of the rate of 16 x 500 x 150.
      CodeWriter batched;
      bool batchedHeap = allocColumn(batched, K * IB * P, OG * IB * P);
      batched.open(forLoop("blk", "b0", "b1"));
      batched.line("long long n0 = blk * " + num(IB) + ";");
      batched.line("long long n1 = n0 + " + num(IB) + " < " + num(g.n) + " ? n0 + " +
                   num(IB) + " : " + num(g.n) + ";");
      batched.line("long long tp = (n1 - n0) * " + num(P) + ";");
      batched.line("const long long gi = 0, r0 = 0, r1 = " + num(g.oh) + ";");
      batched.line("(void)gi; (void)r1;");
      batched.open(forLoop("n", "n0", "n1"));
      im2col(batched, "(n - n0) * " + num(P));
      batched.close();
      batched.line(emit::gemmCall(f32, false, false, dim(OG), "tp", dim(K), "W", dim(K),
                                  "col", "tp", "0", "yb", "tp"));
      batched.open(forLoop("n", "n0", "n1"));
      batched.open(forLoop("o", "0", num(OG)));
      batched.line(mT + "yr = Y + (n * " + num(g.o) + " + o) * " + num(P) + ";");
      batched.line(cT + "br = yb + o * tp + (n - n0) * " + num(P) + ";");
      if (beta == "1") {
        batched.line(T + " bo = " + at(b, "o") + ";");
        batched.line(forLoop("i", "0", num(P)) + " yr[i] = br[i] + bo;");
      } else {
        batched.line(forLoop("i", "0", num(P)) + " yr[i] = br[i];");
      }
      batched.close();
      batched.close();
      batched.close();
      freeColumn(batched, batchedHeap);
      return parallelBlocks(id, (g.n + IB - 1) / IB, pointers, batched.str());
    }
    body.open(forLoop("n", "b0", "b1"));
    body.open(groups);
    openTiles(body, g, R);
    if (beta == "1") {
      body.open(forLoop("o", "0", num(OG)));
      body.line(T + " bo = " + at(b, "gi * " + num(OG) + " + o") + ";");
      body.line(mT + "yr = Y + " + tileOff + " + o * " + num(P) + ";");
      body.line(forLoop("i", "0", "tp") + " yr[i] = bo;");
      body.close();
    }
    im2col(body);
    body.line(emit::gemmCall(f32, false, false, dim(OG), "tp", dim(K), wOff, dim(K), "col",
                       "tp", beta, "Y + " + tileOff, dim(P)));
    body.close();
    body.close();
    body.close();
    freeColumn(body, heap);
    return parallelBlocks(id, g.n, pointers, body.str());
  }
  if (n->op == OpKind::Conv2dWeightBackward) {
    int64_t wsize = n->type.numel();
    int64_t blocks = weightBlocks(g.n, wsize * elem);
    bool heapPart = blocks * wsize * elem > kWeightPartialBytes;
    std::string part = id + "_part", count = dim(blocks * wsize);
    std::string per = num((g.n + blocks - 1) / blocks);
    body.open(forLoop("blk", "b0", "b1"));
    body.line(mT + "dw = PART + blk * " + num(wsize) + ";");
    body.line(forLoop("i", "0", num(wsize)) + " dw[i] = " + zero + ";");
    body.line("long long n1 = (blk + 1) * " + per + ";");
    body.line("if (n1 > " + num(g.n) + ") n1 = " + num(g.n) + ";");
    body.open(forLoop("n", "blk * " + per, "n1"));
    body.open(groups);
    openTiles(body, g, R);
    im2col(body);
    body.line(emit::gemmCall(f32, false, true, dim(OG), dim(K), "tp", "G + " + tileOff,
                       dim(P), "col", "tp", "1", "dw + gi * " + num(OG * K), dim(K)));
    body.close();
    body.close();
    body.close();
    body.close();
    freeColumn(body, heap);
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
    w.open(forLoop("i", "0", num(wsize)));
    w.line(T + " s = " + part + "[i];");
    w.line(forLoop("blk", "1", num(blocks)) + " s += " + part + "[blk * " + num(wsize) +
           " + i];");
    w.line(out + "[i] = s;");
    w.close();
    if (heapPart) w.line("free(" + part + ");");
    return w.str();
  }
  // Input backward: dcol = w^T g, then scatter-add into dx, tile by tile
  // (in order: neighbouring tiles' taps read the same input rows).
  int64_t image = g.c * g.h * g.w;
  body.open(forLoop("n", "b0", "b1"));
  body.line(forLoop("i", "0", num(image)) + " D[n * " + num(image) + " + i] = " + zero +
            ";");
  body.open(groups);
  openTiles(body, g, R);
  body.line(emit::gemmCall(f32, true, false, dim(K), "tp", dim(OG), wOff, dim(K),
                     "G + " + tileOff, dim(P), "0", "col", "tp"));
  // col2im: add the column rows into the padded rows xp, then the rows
  // inside the input into dx (neighbouring tiles share input rows); into
  // dx directly when there is no padding.
  if (!g.padded()) {
    columnLoops(body, g, TR,
                rowLoop("ow", "0", g.ow, num(g.ow)) + " D[pb + ow * " + num(g.sw) +
                    "] += col[cb + ow];");
  } else {
    body.line(forLoop("i", "0", num(padSize)) + " xp[i] = " + zero + ";");
    columnLoops(body, g, TR,
                rowLoop("ow", "0", g.ow, num(g.ow)) + " xp[pb + ow * " + num(g.sw) +
                    "] += col[cb + ow];");
    paddedRows(body, g, TR, "",
               rowLoop("i", "0", g.w, Wn) + " D[xr + i] += xp[pr + i];");
  }
  body.close();
  body.close();
  body.close();
  freeColumn(body, heap);
  return parallelBlocks(id, g.n,
                        {{cT, "G", vo(n->operands[0]).ptr},
                         {cT, "W", vo(n->operands[1]).ptr},
                         {mT, "D", out}},
                        body.str());
}

/// True when the GEMM form applies: every tensor operand in memory and the
/// column matrix and padded input rows of one tile within
/// kConvHeapColumnBytes.
bool gemmFits(const Node *n, const ConvGeometry &g,
              const std::function<ValueRef(const Node *)> &vo) {
  for (size_t i = 0; i < 2; ++i)
    if (vo(n->operands[i]).isSplat()) return false;
  int64_t elem = n->type.dtype == DType::F32 ? 4 : 8;
  int64_t R = tileRows(g, elem);
  int64_t bytes = (g.cg() * g.kh * g.kw * R * g.ow +
                   g.cg() * tileInputRows(g, R) * g.paddedWidth()) *
                  elem;
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
    if (directForwardApplies(n, g, valueOf)) return directForwardCode(n, g, valueOf);
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
