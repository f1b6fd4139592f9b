//===- tests/robust/JitStressTest.cpp - Long fused chains through the JIT -===//
//
// A chain of elementwise ops becomes one fused kernel; the JIT must compile
// it (or refuse it with a gradc::Error) however long the chain is, and the
// numbers must match a direct f64 evaluation.
//
//===----------------------------------------------------------------------===//
#include "frontend/GraphBuilder.h"
#include "ir/Error.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace gradc;

namespace {

/// out = sum(tanh(tanh(...tanh(x)...))), n tanh deep, x = ones(3); checks
/// out and x.grad against the same computation in double precision.
void checkTanhChain(int n) {
  GraphBuilder b("tanh_chain");
  InputInit ones;
  ones.kind = InputInit::Ones;
  Node *prev = b.addInput("x", {DType::F32, {3}}, true, ones);
  for (int i = 0; i < n; ++i)
    prev = b.addOp(OpKind::Tanh, {BuildOperand::of(prev)}, {}, "", false);
  b.addOp(OpKind::Sum, {BuildOperand::of(prev)}, {}, "out", false);
  b.addOutput("out");
  auto g = b.finish();
  CompileOptions opts;
  opts.useCache = false;
  auto cg = Compiler(opts).compile(*g);
  Session s(*cg);
  s.runFused({{"out"}}, false);
  double v = 1, d = 1; // d/dx tanh(v) = 1 - tanh(v)^2, chained
  for (int i = 0; i < n; ++i) {
    v = std::tanh(v);
    d *= 1 - v * v;
  }
  EXPECT_NEAR(s.output("out").get(0), 3 * v, 1e-4 * 3 * v);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(s.grad("x")->get(i), d, 1e-3 * d + 1e-12);
}

TEST(JitStress, TanhChainOf200) { checkTanhChain(200); }

// A chain of 2000 elementwise ops is fused into one kernel whose
// compilation overflowed an 8 MiB stack inside the in-process clang (a
// fatal signal, at -O0 too); the Compiler now runs clang on a thread with a
// large stack. Compiling it still takes seconds (superlinear at -O3, see
// docs/robustness.md), so this is the longest chain tested here.
TEST(JitStress, TanhChainOf2000) { checkTanhChain(2000); }

} // namespace
