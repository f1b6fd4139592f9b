//===- tests/runtime/DerivativesTest.cpp - JVPs, Jacobians, Hessians ------===//
//
// The seed document's worked example extended to higher-order AD: the
// Jacobian of z with respect to x is 4x4 diagonal 18 at x = 1 (both modes),
// the Hessian of out is diagonal 1.5, a JVP, a gradient penalty (grad of
// grad), and the errors a user can cause.
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "passes/ForwardMode.h"
#include "runtime/Derivatives.h"
#include "runtime/HigherOrderCheck.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace gradc;

namespace {

const char *kSeed = R"({"name": "seed",
  "inputs": [{"name": "x", "dtype": "f64", "shape": [2, 2], "requires_grad": true, "init": "ones"},
             {"name": "c", "dtype": "f64", "shape": [2, 2], "init": "ones"}],
  "nodes": [{"name": "y", "op": "add", "inputs": ["x", 2]},
            {"name": "t", "op": "mul", "inputs": ["y", "y"]},
            {"name": "z", "op": "mul", "inputs": ["t", 3]},
            {"name": "out", "op": "mean", "inputs": ["z"]}],
  "outputs": ["out", "z"]})";

std::unique_ptr<Graph> seed() { return parseGraphText(kSeed, "seed.json", GraphFormat::Json); }

const Compiler &compiler() {
  static Compiler c;
  return c;
}

/// Expects a [2,2,2,2] tensor equal to `diag` times the identity.
void expectDiagonal(const Tensor &t, double diag) {
  ASSERT_EQ(t.shape(), (Shape{2, 2, 2, 2}));
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 4; ++j)
      EXPECT_NEAR(t.get(i * 4 + j), i == j ? diag : 0.0, 1e-12)
          << "row " << i << " column " << j;
}

TEST(Derivatives, SeedJacobianIsDiagonal18InBothModes) {
  auto g = seed();
  expectDiagonal(jacobian(compiler(), *g, "z", "x", {}, JacobianMode::Reverse), 18);
  expectDiagonal(jacobian(compiler(), *g, "z", "x", {}, JacobianMode::Forward), 18);
  expectDiagonal(jacobian(compiler(), *g, "z", "x", {}, JacobianMode::Auto), 18);
}

TEST(Derivatives, SeedHessianIsDiagonalOneAndAHalf) {
  auto g = seed();
  // out = mean(3 (x + 2)^2): d2 out / dx_i^2 = 6 / 4.
  expectDiagonal(hessian(compiler(), *g, "out", "x", {}), 1.5);
}

TEST(Derivatives, JacobianAtGivenInputs) {
  auto g = seed();
  std::map<std::string, Tensor> in;
  in.emplace("x", Tensor::fromDoubles(DType::F64, {2, 2}, {0, 1, 2, 3}));
  Tensor j = jacobian(compiler(), *g, "out", "x", in, JacobianMode::Forward);
  ASSERT_EQ(j.shape(), (Shape{2, 2}));
  // d out / dx = 6 (x + 2) / 4.
  for (int64_t i = 0; i < 4; ++i) EXPECT_NEAR(j.get(i), 1.5 * (i + 2), 1e-12);
}

TEST(Derivatives, JvpOfEveryOutput) {
  auto g = seed();
  auto cg = compileJvp(compiler(), *g);
  Session s(*cg);
  s.setInput(tangentName("x"), Tensor::fromDoubles(DType::F64, {2, 2}, {1, 0, 0, 2}));
  s.runFused({}, false);
  const Tensor &dz = s.output(tangentName("z"));
  std::vector<double> want = {18, 0, 0, 36};
  for (int64_t i = 0; i < 4; ++i) EXPECT_NEAR(dz.get(i), want[i], 1e-12);
  EXPECT_NEAR(s.output(tangentName("out")).get(0), (18 + 36) / 4.0, 1e-12);
  EXPECT_NEAR(s.output("out").get(0), 27, 1e-12);
}

TEST(Derivatives, DetachAndNoGradCarryZeroTangents) {
  auto g = parseGraphText(R"({"name": "d",
    "inputs": [{"name": "x", "dtype": "f64", "shape": [3], "requires_grad": true, "init": "ones"}],
    "nodes": [{"name": "a", "op": "detach", "inputs": ["x"]},
              {"name": "b", "op": "mul", "inputs": ["x", 2], "no_grad": true},
              {"name": "s", "op": "add", "inputs": ["a", "b"]}],
    "outputs": ["s"]})", "d.json", GraphFormat::Json);
  Tensor j = jacobian(compiler(), *g, "s", "x", {}, JacobianMode::Forward);
  for (int64_t i = 0; i < j.numel(); ++i) EXPECT_EQ(j.get(i), 0.0);
  Tensor r = jacobian(compiler(), *g, "s", "x", {}, JacobianMode::Reverse);
  for (int64_t i = 0; i < r.numel(); ++i) EXPECT_EQ(r.get(i), 0.0);
}

TEST(Derivatives, GradientPenaltyIsGradOfGrad) {
  // gx = d out / dx = 1.5 (x + 2); pen = sum(gx^2); d pen / dx = 4.5 (x + 2).
  auto g = parseGraphText(R"(graph pen
x = ones(2, 2, dtype=f64, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
gx = grad(out, x)
pen = (gx * gx).sum()
return gx, pen
)", "pen.grad", GraphFormat::Dsl);
  auto cg = compiler().compile(*g);
  Session s(*cg);
  s.runFused({{"pen"}}, false);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(s.output("gx").get(i), 4.5, 1e-12);
    EXPECT_NEAR(s.grad("x")->get(i), 13.5, 1e-12);
  }
  EXPECT_NEAR(s.output("pen").get(0), 81, 1e-12);
}

TEST(Derivatives, UserErrorsAreNamed) {
  auto g = seed();
  try {
    jacobian(compiler(), *g, "z", "c", {}, JacobianMode::Reverse);
    FAIL() << "no error for an input without requires_grad";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("'c' does not require grad"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(hessian(compiler(), *g, "z", "x", {}), Error);   // not scalar
  EXPECT_THROW(jacobian(compiler(), *g, "nope", "x", {}), Error);
  EXPECT_THROW(parseJacobianMode("sideways"), Error);
  auto bad = parseGraphText(R"({"name": "b",
    "inputs": [{"name": "x", "dtype": "f64", "shape": [2], "init": "ones"}],
    "nodes": [{"name": "s", "op": "sum", "inputs": ["x"]},
              {"name": "g", "op": "grad", "inputs": ["s", "x"]}],
    "outputs": ["g"]})", "b.json", GraphFormat::Json);
  EXPECT_THROW(compiler().compile(*bad), Error); // x does not require grad
}

TEST(Derivatives, FiniteDifferencesAgreeWithJvpAndSecondDerivatives) {
  auto g = parseGraphText(R"({"name": "f",
    "inputs": [{"name": "x", "dtype": "f32", "shape": [3, 4], "requires_grad": true, "init": {"randn": 3}},
               {"name": "w", "dtype": "f32", "shape": [4, 2], "requires_grad": true, "init": {"randn": 4}},
               {"name": "t", "dtype": "i64", "shape": [3], "init": [1, 0, 1]}],
    "nodes": [{"name": "h", "op": "tanh", "inputs": ["x"]},
              {"name": "l", "op": "matmul", "inputs": ["h", "w"]},
              {"name": "s", "op": "softmax", "inputs": ["l"], "attrs": {"dim": 1}},
              {"name": "loss", "op": "cross_entropy", "inputs": ["l", "t"]}],
    "outputs": ["loss", "s"]})", "f.json", GraphFormat::Json);
  GradCheckOptions opts;
  std::vector<JvpCheckOutput> jvp = checkJvp(*g, compiler(), opts);
  ASSERT_EQ(jvp.size(), 2u);
  for (const JvpCheckOutput &c : jvp) EXPECT_LT(c.maxExcessError, 1e-6) << c.name;
  GradCheckReport second = checkSecondDerivatives(*g, compiler(), opts);
  ASSERT_EQ(second.inputs.size(), 2u);
  EXPECT_LT(second.worstExcessError(), 1e-6);
  EXPECT_EQ(second.roots.size(), 2u); // grad(loss, x), grad(loss, w)
}

TEST(Derivatives, JvpCheckRefusesDetachedValuesThatVary) {
  auto g = parseGraphText(R"({"name": "d",
    "inputs": [{"name": "x", "dtype": "f64", "shape": [2], "requires_grad": true, "init": "ones"}],
    "nodes": [{"name": "a", "op": "detach", "inputs": ["x"]},
              {"name": "s", "op": "mul", "inputs": ["a", "x"]}],
    "outputs": ["s"]})", "d.json", GraphFormat::Json);
  EXPECT_THROW(checkJvp(*g, compiler(), GradCheckOptions{}), Error);
}

// batch_norm's running statistics are no_grad values of the input: their
// JVPs are skipped with the reason, the other outputs are still checked
// (and would fail if forward mode were wrong: sq's tangent is not zero).
TEST(Derivatives, JvpCheckSkipsRunningStatistics) {
  const char *text = R"({"name": "b",
    "inputs": [{"name": "x", "dtype": "f64", "shape": [4, 3], "requires_grad": true, "init": {"randn": 1}},
               {"name": "w", "dtype": "f64", "shape": [3], "requires_grad": true, "init": {"randn": 2}},
               {"name": "rm", "dtype": "f64", "shape": [3], "init": "zeros"},
               {"name": "rv", "dtype": "f64", "shape": [3], "init": "ones"}],
    "nodes": [{"name": "bn", "op": "batch_norm", "inputs": ["x", "rm", "rv", "w"],
               "attrs": {"training": true}},
              {"name": "sq", "op": "mul", "inputs": ["bn", "bn"]}],
    "outputs": ["sq", "bn.running_mean", "bn.running_var"]})";
  auto g = parseGraphText(text, "b.json", GraphFormat::Json);
  std::vector<JvpCheckOutput> jvp = checkJvp(*g, compiler(), GradCheckOptions{});
  ASSERT_EQ(jvp.size(), 3u);
  EXPECT_EQ(jvp[0].name, "sq");
  EXPECT_EQ(jvp[0].skipped, "");
  EXPECT_LT(jvp[0].maxExcessError, 1e-6);
  EXPECT_GT(std::fabs(jvp[0].analytic), 1e-3); // a real tangent was compared
  for (size_t k = 1; k < 3; ++k) {
    EXPECT_NE(jvp[k].skipped.find("no_grad"), std::string::npos) << jvp[k].skipped;
    EXPECT_EQ(jvp[k].maxExcessError, 0);
  }
  // Nothing left to check: an error that names an output and the reason.
  std::string only = text;
  only.replace(only.find("\"sq\", \"bn.running_mean\""), 6, "");
  auto g2 = parseGraphText(only, "b.json", GraphFormat::Json);
  try {
    checkJvp(*g2, compiler(), GradCheckOptions{});
    ADD_FAILURE() << "no error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("'bn.running_mean' is computed in no_grad"),
              std::string::npos) << e.what();
  }
}

} // namespace
