//===- tests/runtime/ConvBatchedImagesTest.cpp - Forms for small images ---===//
//
// The two forms of the forward convolution of small images:
// - a layer of few output channels puts several images' column matrices
//   side by side for one GEMM, then copies each image's rows out of it
//   (codegen/ConvEmitter, imagesPerGemm): a padded layer with a bias whose
//   batch is not a multiple of the images per GEMM (a shorter last block),
//   and an unpadded strided f64 layer without bias;
// - an f32 layer of 12 or more output channels runs the direct kernel
//   (codegen/ConvDirect): 16 channels with padding and a bias; 24 channels
//   (a second vector of 8) with stride, dilation and unequal padding, rows
//   of 15 columns in segments of 8 and 7; and a conv1d of rows of 38
//   columns in segments of 10, 10, 10 and 8.
// Each checked against sums in double, and the bits against the thread
// count.
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
#include <string>
#include <vector>

using namespace gradc;

namespace {

struct Layer {
  const char *graph;
  int n, c, h, w, o, kh, kw, stride, dilation, padH, padW;
  bool bias;
  const char *marker; ///< Code only the expected form has.
};

// 9x9 images, padding 1: 81 columns each, so 12 images per GEMM and the
// batch of 29 runs as 12, 12 and 5.
const Layer kPadded = {R"(x = randn(29, 3, 9, 9, seed=1)
w = randn(5, 3, 3, 3, seed=2, requires_grad=True)
b = randn(5, seed=3, requires_grad=True)
y = conv2d(x, w, b, padding=1)
return y
)",
                       29, 3, 9, 9, 5, 3, 3, 1, 1, 1, 1, true, "n0 + 12LL"};

// 11x11 images, stride 2, no padding, f64: 25 columns each, 7 images in one
// block.
const Layer kStrided = {R"(x = randn(7, 4, 11, 11, seed=4, dtype=f64)
w = randn(6, 4, 3, 3, seed=5, dtype=f64, requires_grad=True)
y = conv2d(x, w, stride=2)
return y
)",
                        7, 4, 11, 11, 6, 3, 3, 2, 1, 0, 0, false, "n0 + 7LL"};

// The direct kernel: 9x9 images, padding 1, 16 channels, one segment of 9.
const Layer kDirect16 = {R"(x = randn(5, 3, 9, 9, seed=6)
w = randn(16, 3, 3, 3, seed=7, requires_grad=True)
b = randn(16, seed=8, requires_grad=True)
y = conv2d(x, w, b, padding=1)
return y
)",
                         5, 3, 9, 9, 16, 3, 3, 1, 1, 1, 1, true, "gc_cv16"};

// 24 channels: a full vector and one of 8 lanes, the rest never stored.
const Layer kDirect24 = {R"(x = randn(3, 2, 30, 30, seed=9)
w = randn(24, 2, 3, 3, seed=10, requires_grad=True)
y = conv2d(x, w, stride=2, dilation=2, padding=[1, 2])
return y
)",
                         3, 2, 30, 30, 24, 3, 3, 2, 2, 1, 2, false, "gc_cv16"};

// conv1d, no padding: 38 output columns.
const Layer kDirect1d = {R"(x = randn(4, 5, 40, seed=11)
w = randn(16, 5, 3, seed=12, requires_grad=True)
b = randn(16, seed=13, requires_grad=True)
y = conv1d(x, w, b)
return y
)",
                         4, 5, 1, 40, 16, 1, 3, 1, 1, 0, 0, true, "gc_cv16"};

void check(const Compiler &compiler, const Layer &l) {
  auto g = parseGraphText(l.graph, "conv_batched.grad", GraphFormat::Dsl);
  auto cg = compiler.compile(*g);
  EXPECT_NE(cg->cppSource().find(l.marker), std::string::npos)
      << "the forward convolution did not take the expected form";

  const int oh = (l.h + 2 * l.padH - l.dilation * (l.kh - 1) - 1) / l.stride + 1;
  const int ow = (l.w + 2 * l.padW - l.dilation * (l.kw - 1) - 1) / l.stride + 1;
  const int before = numThreads();
  std::vector<std::vector<double>> runs;
  for (int threads : {1, 2}) {
    setNumThreads(threads);
    Session s(*cg);
    s.forward();
    const Tensor &y = s.output("y");
    std::vector<double> v(size_t(y.numel()));
    for (int64_t i = 0; i < y.numel(); ++i) v[size_t(i)] = y.get(i);
    runs.push_back(v);
  }
  setNumThreads(before);
  EXPECT_EQ(runs[0], runs[1]) << "the thread count changed the bits";

  Session ref(*cg); // the same seeded inputs
  const Tensor &x = ref.input("x"), &w = ref.input("w");
  double err = 0, scale = 0;
  for (int n = 0; n < l.n; ++n)
    for (int o = 0; o < l.o; ++o)
      for (int i = 0; i < oh; ++i)
        for (int j = 0; j < ow; ++j) {
          double acc = l.bias ? ref.input("b").get(o) : 0.0;
          for (int c = 0; c < l.c; ++c)
            for (int kh = 0; kh < l.kh; ++kh)
              for (int kw = 0; kw < l.kw; ++kw) {
                int ih = i * l.stride - l.padH + kh * l.dilation;
                int iw = j * l.stride - l.padW + kw * l.dilation;
                if (ih < 0 || ih >= l.h || iw < 0 || iw >= l.w) continue;
                acc += x.get(((int64_t(n) * l.c + c) * l.h + ih) * l.w + iw) *
                       w.get(((int64_t(o) * l.c + c) * l.kh + kh) * l.kw + kw);
              }
          double got = runs[0][((size_t(n) * l.o + o) * oh + i) * ow + j];
          err = std::max(err, std::fabs(got - acc));
          scale = std::max(scale, std::fabs(acc));
        }
  EXPECT_LT(err / scale, x.dtype() == DType::F64 ? 1e-13 : 1e-5);
}

TEST(ConvBatchedImages, PaddedWithBiasAndAShortLastBlock) {
  Compiler compiler;
  check(compiler, kPadded);
}

TEST(ConvBatchedImages, StridedF64WithoutBias) {
  Compiler compiler;
  check(compiler, kStrided);
}

TEST(ConvDirect, SixteenChannelsPaddedWithBias) {
  Compiler compiler;
  check(compiler, kDirect16);
}

TEST(ConvDirect, TwentyFourChannelsStridedDilatedUnequalPadding) {
  Compiler compiler;
  check(compiler, kDirect24);
}

TEST(ConvDirect, Conv1dInSegmentsWithAShorterLast) {
  Compiler compiler;
  check(compiler, kDirect1d);
}

} // namespace
