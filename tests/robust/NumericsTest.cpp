//===- tests/robust/NumericsTest.cpp - NaN and Inf propagate as in PyTorch ===//
//
// log(0) = -inf, the gradient of sqrt at 0 is inf, 0/0 = nan, NaN passes
// through max and relu: every value and gradient below is what PyTorch
// 1.13 prints for the same expression (f32, y.sum().backward()), and the
// generated code must give the same at -O0 and at -O3, where fast-math
// would fold NaN checks away.
//
//===----------------------------------------------------------------------===//
#include "frontend/JsonLoader.h"
#include "ir/Error.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace gradc;

namespace {

const double inf = std::numeric_limits<double>::infinity();
const double nan = std::numeric_limits<double>::quiet_NaN();

/// x = VALUES (f32[4], requires grad); y = EXPR; out = y.sum(); the values
/// of y and of x.grad after out.backward().
struct Case {
  const char *name;
  const char *nodes; ///< JSON nodes computing "y" from "x".
  std::vector<double> x, y, grad;
};

const std::vector<Case> &cases() {
  static const std::vector<Case> c = {
      {"log", R"([{"name": "y", "op": "log", "inputs": ["x"]}])",
       {0, 1, -1, inf}, {-inf, 0, nan, inf}, {inf, 1, -1, 0}},
      {"sqrt", R"([{"name": "y", "op": "sqrt", "inputs": ["x"]}])",
       {0, 4, -1, inf}, {0, 2, nan, inf}, {inf, 0.25, nan, 0}},
      {"div_by_zero", R"([{"name": "y", "op": "div", "inputs": ["x", 0]}])",
       {0, 1, -1, nan}, {nan, inf, -inf, nan}, {inf, inf, inf, inf}},
      {"exp", R"([{"name": "y", "op": "exp", "inputs": ["x"]}])",
       {100, -inf, inf, nan}, {inf, 0, inf, nan}, {inf, 0, inf, nan}},
      {"relu", R"([{"name": "y", "op": "relu", "inputs": ["x"]}])",
       {nan, -inf, inf, 0}, {nan, 0, inf, 0}, {1, 0, 1, 0}},
      {"tanh", R"([{"name": "y", "op": "tanh", "inputs": ["x"]}])",
       {inf, -inf, nan, 0}, {1, -1, nan, 0}, {0, 0, nan, 1}},
      {"sigmoid", R"([{"name": "y", "op": "sigmoid", "inputs": ["x"]}])",
       {inf, -inf, nan, 0}, {1, 0, nan, 0.5}, {0, 0, nan, 0.25}},
      {"square", R"([{"name": "y", "op": "pow", "inputs": ["x", 2]}])",
       {0, nan, inf, -inf}, {0, nan, inf, inf}, {0, nan, inf, -inf}},
      {"pow_half", R"([{"name": "y", "op": "pow", "inputs": ["x", 0.5]}])",
       {0, 4, -1, inf}, {0, 2, nan, inf}, {inf, 0.25, nan, 0}},
      {"max_nan", R"([{"name": "y", "op": "max", "inputs": ["x"]}])",
       {1, nan, 3, 2}, {nan}, {0, 1, 0, 0}},
      {"maximum_nan", R"([{"name": "y", "op": "maximum", "inputs": ["x", 1]}])",
       {nan, 0, 2, -inf}, {nan, 1, 2, 1}, {1, 0, 1, 0}},
      {"sum_inf", R"([{"name": "y", "op": "sum", "inputs": ["x"]}])",
       {inf, -inf, 1, 2}, {nan}, {1, 1, 1, 1}},
      {"mean_nan", R"([{"name": "y", "op": "mean", "inputs": ["x"]}])",
       {nan, 1, 2, 3}, {nan}, {0.25, 0.25, 0.25, 0.25}},
      {"softmax_neg_inf",
       R"([{"name": "y", "op": "softmax", "inputs": ["x"], "attrs": {"dim": 0}}])",
       {-inf, 0, -inf, 0}, {0, 0.5, 0, 0.5}, {0, 0, 0, 0}},
      {"mul_zero", R"([{"name": "y", "op": "mul", "inputs": ["x", 0]}])",
       {inf, nan, 1, -inf}, {nan, nan, 0, nan}, {0, 0, 0, 0}},
  };
  return c;
}

/// Equal as PyTorch prints them: NaN equals NaN, infinities by sign,
/// finite values to float precision.
bool same(double got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= 1e-6 * std::max(1.0, std::fabs(want));
}

void runCase(const Case &c, int optLevel) {
  std::string text = R"({"name": "num", "inputs": [{"name": "x", "shape": [4],
      "requires_grad": true}], "nodes": )" +
                     std::string(c.nodes).insert(std::string(c.nodes).size() - 1,
                         R"(, {"name": "out", "op": "sum", "inputs": ["y"]})") +
                     R"(, "outputs": ["y", "out"]})";
  auto g = loadJsonGraph(text, std::string(c.name) + ".json");
  CompileOptions opts;
  opts.optLevel = optLevel;
  opts.useCache = false;
  Compiler compiler(opts);
  auto cg = compiler.compile(*g);
  Session s(*cg);
  s.setInput("x", Tensor::fromDoubles(DType::F32, {4}, c.x));
  s.runFused({{"out"}}, false);
  const Tensor &y = s.output("y");
  ASSERT_EQ(y.numel(), static_cast<int64_t>(c.y.size()));
  for (size_t i = 0; i < c.y.size(); ++i)
    EXPECT_TRUE(same(y.get(i), c.y[i]))
        << c.name << " -O" << optLevel << ": y[" << i << "] = " << y.get(i)
        << ", PyTorch gives " << c.y[i];
  const Tensor *gx = s.grad("x");
  ASSERT_NE(gx, nullptr);
  for (size_t i = 0; i < c.grad.size(); ++i)
    EXPECT_TRUE(same(gx->get(i), c.grad[i]))
        << c.name << " -O" << optLevel << ": x.grad[" << i
        << "] = " << gx->get(i) << ", PyTorch gives " << c.grad[i];
}

class Numerics : public ::testing::TestWithParam<int> {};

TEST_P(Numerics, NanAndInfAsPyTorch) {
  for (const Case &c : cases()) {
    SCOPED_TRACE(c.name);
    runCase(c, GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(OptLevels, Numerics, ::testing::Values(0, 3),
                         [](const auto &info) {
                           return "O" + std::to_string(info.param);
                         });

} // namespace
