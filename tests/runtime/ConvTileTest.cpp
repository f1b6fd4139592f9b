//===- tests/runtime/ConvTileTest.cpp - Convolutions in tiles of rows -----===//
//
// The im2col + GEMM form builds its column matrix a tile of output rows at
// a time (codegen/ConvEmitter, kConvTileBytes) from padded copies of the
// tile's input rows. A layer with several tiles, a shorter last tile,
// stride 2, dilation 2 and a different padding in H and W checks the tile
// offsets, the halo rows neighbouring tiles share in the input gradient,
// and the weight gradient summed over tiles, against sums in double; and
// the bits against the thread count.
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
#include <cstring>
#include <vector>

using namespace gradc;

namespace {

// 576 column rows of 28 output columns (63 KiB per output row): 8 rows per
// 512 KiB tile, so the 20 output rows run as tiles of 7, 7 and 6.
constexpr int N = 3, C = 64, H = 41, W = 56, O = 16, K = 3;
constexpr int S = 2, D = 2, PH = 1, PW = 2;
constexpr int OH = (H + 2 * PH - D * (K - 1) - 1) / S + 1;
constexpr int OW = (W + 2 * PW - D * (K - 1) - 1) / S + 1;

const char *kGraph = R"(x = randn(3, 64, 41, 56, seed=4, requires_grad=True)
w = randn(16, 64, 3, 3, seed=5, requires_grad=True)
b = randn(16, seed=6, requires_grad=True)
y = conv2d(x, w, b, stride=2, padding=[1, 2], dilation=2)
return y
)";

int xi(int n, int c, int h, int w) { return ((n * C + c) * H + h) * W + w; }
int wi(int o, int c, int kh, int kw) { return ((o * C + c) * K + kh) * K + kw; }
int yi(int n, int o, int h, int w) { return ((n * O + o) * OH + h) * OW + w; }

/// The bits of an f32 tensor.
std::vector<float> bits(const Tensor &t) {
  std::vector<float> v(size_t(t.numel()));
  std::memcpy(v.data(), t.data(), v.size() * sizeof(float));
  return v;
}

/// max |a - ref| / max |ref|, for bits().
double relErr(const std::vector<float> &a, const std::vector<double> &ref) {
  double d = 0, s = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    d = std::max(d, std::fabs(a[i] - ref[i]));
    s = std::max(s, std::fabs(ref[i]));
  }
  return d / s;
}

TEST(ConvTiles, SeveralTilesMatchDoubleSumsAndThreadCounts) {
  static_assert(OH == 20 && OW == 28, "the tile sizes in the comment above");
  auto g = parseGraphText(kGraph, "conv_tiles.grad", GraphFormat::Dsl);
  Compiler compiler;
  auto cg = compiler.compile(*g);
  // Three tiles of output rows in each of the three passes (at least).
  const std::string &src = cg->cppSource();
  size_t tiles = 0;
  for (size_t at = src.find("t < 3LL; ++t)"); at != std::string::npos;
       at = src.find("t < 3LL; ++t)", at + 1))
    ++tiles;
  EXPECT_GE(tiles, 3u);

  const int before = numThreads();
  Tensor seed(DType::F32, {N, O, OH, OW});
  for (int64_t i = 0; i < seed.numel(); ++i) seed.set(i, std::sin(0.37 * double(i)));
  std::vector<std::vector<float>> first;
  for (int threads : {1, 2}) {
    setNumThreads(threads);
    Session s(*cg);
    s.forward();
    s.backward({{"y", &seed}});
    ASSERT_NE(s.grad("x"), nullptr);
    std::vector<std::vector<float>> now = {bits(s.output("y")), bits(*s.grad("x")),
                                           bits(*s.grad("w")), bits(*s.grad("b"))};
    if (first.empty()) {
      first = now;
      continue;
    }
    for (size_t j = 0; j < now.size(); ++j)
      EXPECT_TRUE(first[j] == now[j]) << "result " << j;
  }
  setNumThreads(before);

  Session ref(*cg); // the same seeded inputs
  const Tensor &x = ref.input("x"), &w = ref.input("w"), &b = ref.input("b");
  std::vector<double> y(size_t(N) * O * OH * OW), dx(x.numel()), dw(w.numel()), db(O);
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < O; ++o)
      for (int h = 0; h < OH; ++h)
        for (int v = 0; v < OW; ++v) {
          double acc = b.get(o), gy = seed.get(yi(n, o, h, v));
          db[o] += gy;
          for (int c = 0; c < C; ++c)
            for (int kh = 0; kh < K; ++kh)
              for (int kw = 0; kw < K; ++kw) {
                int ih = h * S - PH + kh * D, iw = v * S - PW + kw * D;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += double(x.get(xi(n, c, ih, iw))) * w.get(wi(o, c, kh, kw));
                dx[xi(n, c, ih, iw)] += gy * w.get(wi(o, c, kh, kw));
                dw[wi(o, c, kh, kw)] += gy * x.get(xi(n, c, ih, iw));
              }
          y[yi(n, o, h, v)] = acc;
        }
  EXPECT_LT(relErr(first[0], y), 1e-5);
  EXPECT_LT(relErr(first[1], dx), 1e-5);
  EXPECT_LT(relErr(first[2], dw), 1e-5);
  EXPECT_LT(relErr(first[3], db), 1e-5);
}

} // namespace
