//===- codegen/ConvDirect.cpp - Register-blocked forward convolution ------===//
//
// Notation as in ConvEmitter.cpp: x [N, C, H, W], w [O, C, KH, KW], y [N, O,
// OH, OW], and with K = C*KH*KW, L = kDirectLanes, OB = ceil(O / L):
//   y[n, ob*L + l, oh, ow] = b[ob*L + l]
//       + sum over (c, kh, kw) of wr[ob][c][kh][kw][l] * xi[c][oh*SH + kh*DH][ow*SW + kw*DW]
// where wr is w reordered with output channels last (zero past O) and xi is
// image n, padded with zeros on all sides when the convolution pads. For a
// segment of output columns ow0 + [0, S) of one row, the S accumulators are
// vectors over l; a tap loads one weight vector and adds it times one input
// element per accumulator (a broadcast FMA). At the end of the segment the
// S x L accumulators are transposed in registers into the L output rows.
//
// Why it beats im2col + GEMM on small images: LeNet-5's conv2 (16 x 100
// outputs from 150 taps per image) is too small a GEMM to run at full rate
// alone, and batched across images it pays for writing and packing a
// column matrix and for copying the result out; here the input is read in
// place, the weights stay in L1, and every FMA is a full vector.
//
//===----------------------------------------------------------------------===//
#include "codegen/ConvDirect.h"
#include "codegen/CodeWriter.h"
#include "codegen/ConvEmitter.h"
#include "codegen/ParallelBlocks.h"

#include <string>
#include <vector>

namespace gradc {

namespace {

using emit::at;
using emit::num;
using emit::forLoop;

/// Output elements per channel up to which an image counts as small.
constexpr int64_t kDirectPixels = 512;

std::string str(int64_t v) { return std::to_string(v); }

/// Declares `name`, `count` floats of scratch: on the stack within
/// kConvColumnBytes, else from calloc (the allocator the generated code
/// declares). Returns whether the caller must free it.
bool declareScratch(CodeWriter &w, const std::string &name, int64_t count) {
  if (count * 4 <= kConvColumnBytes) {
    w.line("float " + name + "[" + str(count) + "];");
    return false;
  }
  w.line("float *" + name + " = (float *)calloc(" + str(count) + "ULL, sizeof(float));");
  w.line("if (!" + name + ") __builtin_trap(); // out of memory");
  return true;
}

/// Stores the accumulators a0..a(count-1) of a segment (a vector over
/// output channels per column) as rows of the output (a vector over
/// columns per channel): a 16 x 16 transpose in four rounds of
/// interleaving, round r pairing vectors i and i + 8 into lanes
/// (i0, j0, i1, j1, ...) from the low and high halves (after four rounds
/// vector l holds lane l of every input), missing columns filled with bv;
/// then the first `count` lanes of vector l go to channel ob*L + l when it
/// is below O. On AVX-512 a round is 16 two-source permutes; scalar copies
/// through a buffer cost LeNet-5's conv2 a sixth of its time, and the
/// vectorizer's gathers more.
void transposeOut(CodeWriter &w, const ConvGeometry &g, int64_t count) {
  const int64_t L = kDirectLanes;
  std::vector<std::string> v;
  for (int64_t j = 0; j < L; ++j) v.push_back(j < count ? "a" + str(j) : "bv");
  std::string lo, hi;
  for (int64_t i = 0; i < L / 2; ++i) {
    lo += ", " + str(i) + ", " + str(i + L);
    hi += ", " + str(i + L / 2) + ", " + str(i + L / 2 + L);
  }
  for (int round = 0; round < 4; ++round) {
    std::vector<std::string> next;
    for (int64_t i = 0; i < L / 2; ++i)
      for (const std::string *idx : {&lo, &hi}) {
        std::string name = "t" + str(round) + "_" + str(int64_t(next.size()));
        w.line("const gc_cv16 " + name + " = __builtin_shufflevector(" + v[size_t(i)] +
               ", " + v[size_t(i + L / 2)] + *idx + ");");
        next.push_back(name);
      }
    v = next;
  }
  for (int64_t l = 0; l < L; ++l)
    w.line("if (" + str(l) + " < lc) __builtin_memcpy(ys + " + num(l * g.oh * g.ow) +
           ", &" + v[size_t(l)] + ", " + str(count * 4) + ");");
}

/// One segment of `count` output columns: xs points at its first input
/// column (tap 0), ys at its first output element of channel ob*L.
void segment(CodeWriter &w, const ConvGeometry &g, int64_t count, const std::string &xs,
             const std::string &ys) {
  int64_t HP = g.paddedHeight(), WP = g.paddedWidth(), L = kDirectLanes;
  w.open("");
  w.line("const float *xs = " + xs + ";");
  w.line("float *ys = " + ys + ";");
  std::string decl = "gc_cv16 a0 = bv";
  for (int64_t j = 1; j < count; ++j) decl += ", a" + str(j) + " = bv";
  w.line(decl + ";");
  w.line(forLoop("c", "0", num(g.c)));
  w.open(forLoop("kh", "0", num(g.kh)));
  w.line("const float *xk = xs + c * " + num(HP * WP) + " + kh * " + num(g.dh * WP) + ";");
  w.line("const float *wk = wb + (c * " + num(g.kh) + " + kh) * " + num(g.kw * L) + ";");
  w.open(forLoop("kw", "0", num(g.kw)));
  w.line("gc_cv16 wv;");
  w.line("__builtin_memcpy(&wv, wk + kw * " + num(L) + ", sizeof wv);");
  w.line("const float *p = xk + kw * " + num(g.dw) + ";");
  for (int64_t j = 0; j < count; ++j)
    w.line("a" + str(j) + " += wv * p[" + str(j * g.sw) + "];");
  w.close();
  w.close();
  transposeOut(w, g, count);
  w.close();
}

} // namespace

bool directForwardApplies(const Node *n, const ConvGeometry &g,
                          const std::function<ValueRef(const Node *)> &valueOf) {
  if (n->op != OpKind::Conv2d && n->op != OpKind::Conv1d) return false;
  if (n->type.dtype != DType::F32 || g.groups != 1) return false;
  for (size_t i = 0; i < 2; ++i)
    if (valueOf(n->operands[i]).isSplat()) return false;
  int64_t blocks = (g.o + kDirectLanes - 1) / kDirectLanes;
  return g.oh * g.ow <= kDirectPixels && g.o * 4 >= blocks * kDirectLanes * 3;
}

std::string directForwardCode(const Node *n, const ConvGeometry &g,
                              const std::function<ValueRef(const Node *)> &valueOf) {
  const int64_t L = kDirectLanes, K = g.c * g.kh * g.kw;
  const int64_t OB = (g.o + L - 1) / L, HP = g.paddedHeight(), WP = g.paddedWidth();
  const std::string id = "conv" + std::to_string(n->id);
  const std::string wr = id + "_wr", bb = id + "_bb";
  ValueRef w = valueOf(n->operands[1]);

  // Segments: as few as keep each within kDirectColumns, evened out; the
  // columns left over after the full ones form a shorter last segment.
  int64_t segments = (g.ow + kDirectColumns - 1) / kDirectColumns;
  int64_t S = (g.ow + segments - 1) / segments, full = g.ow / S, tail = g.ow - full * S;

  CodeWriter k;
  // The weights with output channels last, and the bias as L-wide rows;
  // channels past O are zero (their lanes are computed and never stored).
  bool heap = declareScratch(k, wr, OB * K * L + OB * L);
  k.line("float *" + bb + " = " + wr + " + " + str(OB * K * L) + ";");
  k.open(forLoop("ob", "0", num(OB)));
  k.open(forLoop("i", "0", num(K)));
  k.line(forLoop("l", "0", num(L)) + " " + wr + "[(ob * " + num(K) + " + i) * " + num(L) +
         " + l] = ob * " + num(L) + " + l < " + num(g.o) + " ? " +
         at(w, "(ob * " + num(L) + " + l) * " + num(K) + " + i") + " : 0.0f;");
  k.close();
  k.close();
  std::string bias = n->operands.size() == 3 ? at(valueOf(n->operands[2]), "i") : "0.0f";
  k.line(forLoop("i", "0", num(OB * L)) + " " + bb + "[i] = i < " + num(g.o) + " ? " + bias +
         " : 0.0f;");

  CodeWriter b;
  b.line("typedef float gc_cv16 __attribute__((vector_size(" + str(L * 4) +
         "), aligned(4)));");
  bool xpHeap = g.padded() && declareScratch(b, "xp", g.c * HP * WP);
  b.open(forLoop("n", "b0", "b1"));
  if (g.padded()) {
    // Image n with its zero padding, so the taps read without checks.
    b.line(forLoop("c", "0", num(g.c)));
    b.open(forLoop("r", "0", num(HP)));
    b.line("float *pr = xp + (c * " + num(HP) + " + r) * " + num(WP) + ";");
    b.line("long long ih = r - " + num(g.padTop) + ";");
    b.open("if (ih < 0 || ih >= " + num(g.h) + ")");
    b.line(forLoop("i", "0", num(WP)) + " pr[i] = 0.0f;");
    b.line("continue;");
    b.close();
    b.line("const float *xr = X + ((n * " + num(g.c) + " + c) * " + num(g.h) + " + ih) * " +
           num(g.w) + ";");
    b.line(forLoop("i", "0", num(g.padLeft)) + " pr[i] = 0.0f;");
    b.line(forLoop("i", "0", num(g.w)) + " pr[" + num(g.padLeft) + " + i] = xr[i];");
    b.line(forLoop("i", "0", num(g.padRight)) + " pr[" + num(g.padLeft + g.w) +
           " + i] = 0.0f;");
    b.close();
    b.line("const float *xi = xp;");
  } else {
    b.line("const float *xi = X + n * " + num(g.c * g.h * g.w) + ";");
  }
  b.open(forLoop("ob", "0", num(OB)));
  b.line("const float *wb = WR + ob * " + num(K * L) + ";");
  b.line("gc_cv16 bv;");
  b.line("__builtin_memcpy(&bv, BB + ob * " + num(L) + ", sizeof bv);");
  b.line("long long lc = " + num(g.o) + " - ob * " + num(L) + " < " + num(L) + " ? " +
         num(g.o) + " - ob * " + num(L) + " : " + num(L) + ";");
  b.line("float *yo = Y + (n * " + num(g.o) + " + ob * " + num(L) + ") * " +
         num(g.oh * g.ow) + ";");
  b.open(forLoop("oh", "0", num(g.oh)));
  b.line("const float *xr = xi + oh * " + num(g.sh * WP) + ";");
  b.line("float *yr = yo + oh * " + num(g.ow) + ";");
  b.line(forLoop("s", "0", num(full)));
  segment(b, g, S, "xr + s * " + num(S * g.sw), "yr + s * " + num(S));
  if (tail) segment(b, g, tail, "xr + " + num(full * S * g.sw), "yr + " + num(full * S));
  b.close();
  b.close();
  b.close();
  if (xpHeap) b.line("free(xp);");

  k.lines(parallelBlocks(id, g.n,
                         {{"const float *", "X", valueOf(n->operands[0]).ptr},
                          {"const float *", "WR", wr},
                          {"const float *", "BB", bb},
                          {"float *", "Y", valueOf(n).ptr}},
                         b.str()));
  if (heap) k.line("free(" + wr + ");");
  return k.str();
}

} // namespace gradc
