//===- tests/runtime/ConvHeapFormTest.cpp - Large convolutions ------------===//
//
// A convolution whose column matrix exceeds the GEMM form's stack bound
// (128 KiB) runs as im2col + GEMM with the column matrix on the heap, and
// a weight gradient whose per-block partials exceed theirs (256 KiB) keeps
// them on the heap. Both against sums in double on the host, so a wrong
// offset, a missing free or a partial left out shows.
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "runtime/Compiler.h"
#include "runtime/Session.h"
#include "runtime/Tensor.h"
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace gradc;

namespace {

// x [N, C, H, W], w [O, C, K, K], padding 1: 576 rows of 100 columns
// (225 KiB) in the column matrix; two blocks of 144 KiB partials.
constexpr int N = 2, C = 64, H = 10, W = 10, O = 64, K = 3, P = 1;

const char *kGraph = R"(x = randn(2, 64, 10, 10, seed=1, requires_grad=True)
w = randn(64, 64, 3, 3, seed=2, requires_grad=True)
b = randn(64, seed=3, requires_grad=True)
y = conv2d(x, w, b, padding=1)
return y
)";

int xi(int n, int c, int h, int w) { return ((n * C + c) * H + h) * W + w; }
int wi(int o, int c, int kh, int kw) { return ((o * C + c) * K + kh) * K + kw; }
int yi(int n, int o, int h, int w) { return ((n * O + o) * H + h) * W + w; }

/// max |a - ref| / max |ref|.
double relErr(const Tensor &a, const std::vector<double> &ref) {
  double d = 0, s = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    d = std::max(d, std::fabs(a.get(static_cast<int64_t>(i)) - ref[i]));
    s = std::max(s, std::fabs(ref[i]));
  }
  return d / s;
}

TEST(ConvHeapForm, LargeColumnMatrixAndPartialsMatchDoubleSums) {
  auto g = parseGraphText(kGraph, "conv_heap.grad", GraphFormat::Dsl);
  Compiler compiler;
  auto cg = compiler.compile(*g);
  // The GEMM form with heap buffers, not the direct loop nests.
  EXPECT_NE(cg->cppSource().find("cblas_sgemm(101"), std::string::npos);
  EXPECT_NE(cg->cppSource().find("*col = (float *)calloc("), std::string::npos);
  EXPECT_NE(cg->cppSource().find("_part = (float *)calloc("), std::string::npos);

  Session s(*cg);
  Tensor seed(DType::F32, {N, O, H, W});
  for (int64_t i = 0; i < seed.numel(); ++i) seed.set(i, std::sin(0.37 * double(i)));
  s.forward();
  s.backward({{"y", &seed}});

  const Tensor &x = s.input("x"), &w = s.input("w"), &b = s.input("b");
  std::vector<double> y(size_t(N) * O * H * W), dx(x.numel()), dw(w.numel()), db(O);
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < O; ++o)
      for (int h = 0; h < H; ++h)
        for (int v = 0; v < W; ++v) {
          double acc = b.get(o), g = seed.get(yi(n, o, h, v));
          db[o] += g;
          for (int c = 0; c < C; ++c)
            for (int kh = 0; kh < K; ++kh)
              for (int kw = 0; kw < K; ++kw) {
                int ih = h - P + kh, iw = v - P + kw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += double(x.get(xi(n, c, ih, iw))) * w.get(wi(o, c, kh, kw));
                dx[xi(n, c, ih, iw)] += g * w.get(wi(o, c, kh, kw));
                dw[wi(o, c, kh, kw)] += g * x.get(xi(n, c, ih, iw));
              }
          y[yi(n, o, h, v)] = acc;
        }
  // f32 GEMMs over 576 (forward) and 200 (weight) terms.
  EXPECT_LT(relErr(s.output("y"), y), 1e-5);
  ASSERT_NE(s.grad("x"), nullptr);
  EXPECT_LT(relErr(*s.grad("x"), dx), 1e-5);
  EXPECT_LT(relErr(*s.grad("w"), dw), 1e-5);
  EXPECT_LT(relErr(*s.grad("b"), db), 1e-5);
}

} // namespace
