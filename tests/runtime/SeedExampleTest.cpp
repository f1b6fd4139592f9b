//===- tests/runtime/SeedExampleTest.cpp - The seed document's example ----===//
//
// Every number of the worked example in the seed document (PyTorch's own
// printed output), through both the retain-graph entry points and the
// fused entry point with the accumulate flag.
//
//===----------------------------------------------------------------------===//
#include "frontend/GraphBuilder.h"
#include "ir/Error.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

using namespace gradc;

namespace {

/// x = ones(2, 2, requires_grad=True); y = x + 2; z = y * y * 3;
/// out = z.mean(); outputs y, z, out.
std::unique_ptr<Graph> seedGraph() {
  GraphBuilder b("seed");
  InputInit ones;
  ones.kind = InputInit::Ones;
  Node *x = b.addInput("x", {DType::F32, {2, 2}}, true, ones);
  Node *y = b.addOp(OpKind::Add, {BuildOperand::of(x), BuildOperand::number(2)},
                    {}, "y", false);
  Node *t = b.addOp(OpKind::Mul, {BuildOperand::of(y), BuildOperand::of(y)}, {},
                    "", false);
  Node *z = b.addOp(OpKind::Mul, {BuildOperand::of(t), BuildOperand::number(3)},
                    {}, "z", false);
  b.addOp(OpKind::Mean, {BuildOperand::of(z)}, {}, "out", false);
  b.addOutput("y");
  b.addOutput("z");
  b.addOutput("out");
  return b.finish();
}

const Compiler &compiler() {
  static Compiler c;
  return c;
}

void expectAll(const Tensor &t, std::vector<double> want) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (int64_t i = 0; i < t.numel(); ++i)
    EXPECT_NEAR(t.get(i), want[i], 1e-5) << "element " << i;
}

Tensor seedZ() {
  return Tensor::fromDoubles(DType::F32, {2, 2}, {0.1, 1.0, 1.0, 1.0});
}

TEST(SeedExample, RetainGraphStyle) {
  auto g = seedGraph();
  auto cg = compiler().compile(*g);
  Session s(*cg);
  s.forward();
  expectAll(s.output("y"), {3, 3, 3, 3});
  expectAll(s.output("z"), {27, 27, 27, 27});
  expectAll(s.output("out"), {27});
  EXPECT_EQ(s.grad("x"), nullptr); // None before any backward

  s.backward({{"out"}});
  expectAll(*s.grad("x"), {4.5, 4.5, 4.5, 4.5});
  Tensor gz = seedZ();
  s.backward({{"z", &gz}});
  expectAll(*s.grad("x"), {6.3, 22.5, 22.5, 22.5});
  s.backward({{"out"}});
  expectAll(*s.grad("x"), {10.8, 27, 27, 27});
  s.clearGrad("x");
  s.backward({{"out"}});
  expectAll(*s.grad("x"), {4.5, 4.5, 4.5, 4.5});
}

TEST(SeedExample, FusedWithAccumulateFlag) {
  auto g = seedGraph();
  auto cg = compiler().compile(*g);
  Session s(*cg);
  s.runFused({{"out"}}, /*accumulate=*/false);
  expectAll(s.output("out"), {27});
  expectAll(*s.grad("x"), {4.5, 4.5, 4.5, 4.5});
  Tensor gz = seedZ();
  s.runFused({{"z", &gz}}, true);
  expectAll(*s.grad("x"), {6.3, 22.5, 22.5, 22.5});
  s.runFused({{"out"}}, true);
  expectAll(*s.grad("x"), {10.8, 27, 27, 27});
  s.runFused({{"out"}}, false); // x.grad = None; out.backward()
  expectAll(*s.grad("x"), {4.5, 4.5, 4.5, 4.5});
}

TEST(SeedExample, SeveralRootsSumTheirProducts) {
  auto g = seedGraph();
  auto cg = compiler().compile(*g);
  Session s(*cg);
  Tensor gz = seedZ();
  // torch.autograd.backward([out, z], [None, gz]) == 4.5 + 18 * gz
  s.runFused({{"out"}, {"z", &gz}}, false);
  expectAll(*s.grad("x"), {6.3, 22.5, 22.5, 22.5});
}

TEST(SeedExample, NonScalarRootNeedsASeed) {
  auto g = seedGraph();
  auto cg = compiler().compile(*g);
  Session s(*cg);
  try {
    s.runFused({{"z"}}, false);
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find(
                  "grad can be implicitly created only for scalar outputs"),
              std::string::npos);
  }
  Tensor wrong(DType::F32, {4});
  EXPECT_THROW(s.runFused({{"z", &wrong}}, false), Error);
  EXPECT_THROW(s.runFused({{"nope"}}, false), Error);
  EXPECT_THROW(s.backward({{"out"}}), Error); // no forward() yet
}

TEST(SeedExample, OnlyLeafGradientsAreProduced) {
  auto g = seedGraph();
  auto cg = compiler().compile(*g);
  // One gradient buffer: x's. y, z, out are non-leaves (.grad is None).
  ASSERT_EQ(cg->info().gradInputs.size(), 1u);
  EXPECT_EQ(cg->info().inputs[cg->info().gradInputs[0]].name, "x");
  EXPECT_EQ(cg->info().outputs[2].gradFn, "MeanBackward0");
  EXPECT_EQ(cg->info().outputs[0].gradFn, "AddBackward0");
  EXPECT_EQ(cg->info().outputs[1].gradFn, "MulBackward0");
}

} // namespace
