//===- tests/runtime/ForwardModeNNTest.cpp - Forward mode of the NN ops ---===//
//
// Hand-checked tangents of max_pool2d (the first maximum of a window wins a
// tie, padding never wins), and the batched convolution rules checked
// against the other mode: the forward-mode Jacobian of a grouped, strided
// convolution with respect to its weight (the weight tangents folded into
// the output channels) equals the reverse-mode one (forward mode over the
// backward convolutions with the cotangents batched).
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "passes/ForwardMode.h"
#include "runtime/Derivatives.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace gradc;

namespace {

const Compiler &compiler() {
  static Compiler c;
  return c;
}

TEST(ForwardModeNN, MaxPoolTangentFollowsTheFirstMaximum) {
  // x is constant (every element ties), so each window takes the tangent of
  // its first element in row-major order; with padding 1 the pad positions
  // come first but never win.
  auto g = parseGraphText(R"({"name": "p",
    "inputs": [{"name": "x", "dtype": "f64", "shape": [1, 1, 4, 4], "requires_grad": true, "init": "ones"}],
    "nodes": [{"name": "y", "op": "max_pool2d", "inputs": ["x"], "attrs": {"kernel_size": 3, "stride": 2, "padding": 1}}],
    "outputs": ["y"]})", "p.json", GraphFormat::Json);
  auto cg = compileJvp(compiler(), *g);
  Session s(*cg);
  std::vector<double> t(16);
  for (int i = 0; i < 16; ++i) t[i] = 1 + i; // tangent = 1-based flat index
  s.setInput(tangentName("x"), Tensor::fromDoubles(DType::F64, {1, 1, 4, 4}, t));
  s.runFused({}, false);
  const Tensor &dy = s.output(tangentName("y"));
  ASSERT_EQ(dy.shape(), (Shape{1, 1, 2, 2}));
  // Windows start at rows/cols -1 and 1: first real elements (0,0), (0,1),
  // (1,0), (1,1).
  std::vector<double> want = {1, 2, 5, 6};
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(dy.get(i), want[i]) << i;
}

TEST(ForwardModeNN, MaxPoolTangentOfDistinctValuesWithCeilMode) {
  // ceil_mode adds a last window that hangs over the edge.
  auto g = parseGraphText(R"({"name": "p",
    "inputs": [{"name": "x", "dtype": "f64", "shape": [1, 1, 1, 5], "requires_grad": true,
                "init": [[[[3, 1, 4, 1, 5]]]]}],
    "nodes": [{"name": "y", "op": "max_pool2d", "inputs": ["x"], "attrs": {"kernel_size": [1, 2], "ceil_mode": true}}],
    "outputs": ["y"]})", "p.json", GraphFormat::Json);
  Tensor j = jacobian(compiler(), *g, "y", "x", {}, JacobianMode::Forward);
  ASSERT_EQ(j.shape(), (Shape{1, 1, 1, 3, 1, 1, 1, 5}));
  // Windows {3, 1}, {4, 1}, {5}: argmax 0, 2, 4.
  for (int64_t o = 0; o < 3; ++o)
    for (int64_t i = 0; i < 5; ++i)
      EXPECT_EQ(j.get(o * 5 + i), i == 2 * o ? 1.0 : 0.0) << o << "," << i;
}

TEST(ForwardModeNN, GroupedConvolutionJacobiansAgreeInBothModes) {
  auto g = parseGraphText(R"({"name": "c",
    "inputs": [{"name": "x", "dtype": "f64", "shape": [2, 4, 5, 5], "requires_grad": true, "init": {"randn": 1}},
               {"name": "w", "dtype": "f64", "shape": [6, 2, 3, 2], "requires_grad": true, "init": {"randn": 2}},
               {"name": "b", "dtype": "f64", "shape": [6], "requires_grad": true, "init": {"randn": 3}}],
    "nodes": [{"name": "y", "op": "conv2d", "inputs": ["x", "w", "b"],
               "attrs": {"stride": [2, 1], "padding": 1, "dilation": [1, 2], "groups": 2}},
              {"name": "h", "op": "tanh", "inputs": ["y"]}],
    "outputs": ["h"]})", "c.json", GraphFormat::Json);
  for (const char *wrt : {"x", "w", "b"}) {
    Tensor f = jacobian(compiler(), *g, "h", wrt, {}, JacobianMode::Forward);
    Tensor r = jacobian(compiler(), *g, "h", wrt, {}, JacobianMode::Reverse);
    ASSERT_EQ(f.shape(), r.shape()) << wrt;
    double worst = 0, largest = 0;
    for (int64_t i = 0; i < f.numel(); ++i) {
      worst = std::max(worst, std::fabs(f.get(i) - r.get(i)));
      largest = std::max(largest, std::fabs(r.get(i)));
    }
    EXPECT_GT(largest, 0.1) << wrt; // a Jacobian that is not all zeros
    EXPECT_LT(worst, 1e-12 * std::max(1.0, largest)) << wrt;
  }
}

} // namespace
