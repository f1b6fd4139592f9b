//===- tests/runtime/MaxPoolBackwardTest.cpp - Picks of max_pool2d's gradient -===//
//
// max_pool2d's backward sends each window's gradient to the element the
// forward picked: PyTorch's rule, a larger value or a NaN replaces the
// current pick, so ties go to the first maximum and NaNs to the last NaN.
// Windows that share no element take a form of their own (stores instead
// of a scatter-add, codegen/PoolEmitter); these check it, and the shared
// form beside it, on inputs full of ties and with NaNs, against the rule
// written out here: kernel 2 (stride 2, the last column in no window),
// kernel 2 with stride 3 (gaps between windows), dilation 2 with stride 3,
// and kernel 3 with stride 2 (overlapping windows, the scatter-add form).
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "runtime/Compiler.h"
#include "runtime/Session.h"
#include "runtime/Tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace gradc;

namespace {

struct Pool {
  int k, stride, dilation;
};

void check(const Pool &p) {
  const int n = 2, c = 3, h = 9, w = 11;
  std::string text = "x = input(" + std::to_string(n) + ", " + std::to_string(c) + ", " +
                     std::to_string(h) + ", " + std::to_string(w) +
                     ", requires_grad=True)\n"
                     "y = max_pool2d(x, " +
                     std::to_string(p.k) + ", stride=" + std::to_string(p.stride) +
                     ", dilation=" + std::to_string(p.dilation) +
                     ")\n"
                     "l = (y * g).sum()\n"
                     "return l\n";
  const int oh = (h - p.dilation * (p.k - 1) - 1) / p.stride + 1;
  const int ow = (w - p.dilation * (p.k - 1) - 1) / p.stride + 1;
  // g weighs each window's gradient differently (1, 2, 3, ...), so that a
  // gradient sent to the wrong element of the right window, or to another
  // window's element, shows.
  text = "g = input(" + std::to_string(n) + ", " + std::to_string(c) + ", " +
         std::to_string(oh) + ", " + std::to_string(ow) + ")\n" + text;
  Compiler compiler;
  auto cg = compiler.compile(*parseGraphText(text, "pool.grad", GraphFormat::Dsl));
  const bool disjoint = p.stride >= p.dilation * (p.k - 1) + 1;
  EXPECT_EQ(cg->cppSource().find("idx == bi ?") != std::string::npos, disjoint)
      << "the backward did not take the form expected for these windows";
  Session s(*cg);

  std::mt19937 rng(static_cast<unsigned>(p.k * 100 + p.stride * 10 + p.dilation));
  std::uniform_int_distribution<int> level(0, 2), nanOdds(0, 40);
  Tensor x(DType::F32, {n, c, h, w}), g(DType::F32, {n, c, oh, ow});
  for (int64_t i = 0; i < x.numel(); ++i)
    x.set(i, nanOdds(rng) == 0 ? std::numeric_limits<double>::quiet_NaN() : level(rng));
  for (int64_t i = 0; i < g.numel(); ++i) g.set(i, double(i + 1));
  s.setInput("x", x);
  s.setInput("g", g);
  s.runFused({{"l"}}, false);
  const Tensor *dx = s.grad("x");
  ASSERT_NE(dx, nullptr);

  std::vector<double> want(size_t(x.numel()), 0.0);
  for (int plane = 0; plane < n * c; ++plane)
    for (int i = 0; i < oh; ++i)
      for (int j = 0; j < ow; ++j) {
        int64_t base = int64_t(plane) * h * w, pick = -1;
        double best = 0;
        for (int kh = 0; kh < p.k; ++kh)
          for (int kw = 0; kw < p.k; ++kw) {
            int64_t at = base + int64_t(i * p.stride + kh * p.dilation) * w +
                         (j * p.stride + kw * p.dilation);
            double v = x.get(at);
            if (pick < 0 || v > best || std::isnan(v)) {
              best = v;
              pick = at;
            }
          }
        want[size_t(pick)] += g.get((int64_t(plane) * oh + i) * ow + j);
      }
  for (int64_t i = 0; i < x.numel(); ++i)
    ASSERT_EQ(dx->get(i), want[size_t(i)]) << "element " << i;
}

TEST(MaxPoolBackward, Kernel2TiesAndNaNsWithAColumnOutsideEveryWindow) { check({2, 2, 1}); }

TEST(MaxPoolBackward, Kernel2Stride3GapsBetweenWindows) { check({2, 3, 1}); }

TEST(MaxPoolBackward, Dilation2Stride3) { check({2, 3, 2}); }

TEST(MaxPoolBackward, OverlappingWindowsAddUp) { check({3, 2, 1}); }

} // namespace
