//===- tests/ops/DropoutTest.cpp - dropout's mask, step by step -----------===//
//
// The mask comes from a counter-based generator keyed by the seed, so it
// must be the same in the fused entry point and in forward + backward, in
// concurrent runs on several threads, and whenever the seed is the same;
// a run-time seed picks a new mask.
//
//===----------------------------------------------------------------------===//
#include "OpCase.h"

#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <thread>

using namespace gradc;
using namespace gradc::test;

namespace {

const Shape kShape = {64, 250};

/// y = dropout(x[, s]) {p, seed}, out = sum(y * c) with c = 1, 2, 3, ...
/// so that x.grad = mask * scale * c.
std::unique_ptr<CompiledGraph> build(double p, int64_t seed, bool runtimeSeed) {
  GraphBuilder b("d");
  Node *x = b.addInput("x", {DType::F32, kShape}, true, {});
  std::vector<BuildOperand> ops = {V(x)};
  if (runtimeSeed) ops.push_back(V(b.addInput("s", {DType::I64, {}}, false, {})));
  Node *y = b.addOp(OpKind::Dropout, ops, {{"p", p}, {"seed", seed}}, "y", false);
  Node *c = b.addInput("c", {DType::F32, kShape}, false, {});
  Node *prod = b.addOp(OpKind::Mul, {V(y), V(c)}, {}, "", false);
  b.addOp(OpKind::Sum, {V(prod)}, {}, "out", false);
  b.addOutput("y");
  b.addOutput("out");
  return testCompiler().compile(*b.finish());
}

struct Result {
  std::vector<double> y, grad;
};

Result run(const CompiledGraph &g, bool fused, int64_t runtimeSeed = -1) {
  Session s(g);
  std::vector<double> ones(numElements(kShape), 1.0), c(ones.size());
  for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<double>(i % 5 + 1);
  s.setInput("x", Tensor::fromDoubles(DType::F32, kShape, ones));
  s.setInput("c", Tensor::fromDoubles(DType::F32, kShape, c));
  if (runtimeSeed >= 0)
    s.setInput("s", Tensor::fromDoubles(DType::I64, {}, {double(runtimeSeed)}));
  if (fused) {
    s.runFused({{"out"}}, false);
  } else {
    s.forward();
    s.backward({{"out"}});
  }
  return {s.output("y").toDoubles(), s.grad("x")->toDoubles()};
}

TEST(Dropout, BackwardUsesTheForwardMask) {
  auto g = build(0.4, 17, false);
  Result r = run(*g, true);
  const double scale = static_cast<double>(1.0f / 0.6f);
  size_t dropped = 0;
  for (size_t i = 0; i < r.y.size(); ++i) {
    double c = static_cast<double>(i % 5 + 1);
    if (r.y[i] == 0) {
      ++dropped;
      EXPECT_EQ(r.grad[i], 0) << i;
    } else {
      EXPECT_NEAR(r.y[i], scale, 1e-6) << i;
      EXPECT_NEAR(r.grad[i], scale * c, 1e-5) << i;
    }
  }
  // 16000 elements, p = 0.4: 6400 expected, sd 62.
  EXPECT_NEAR(static_cast<double>(dropped), 6400.0, 5 * 62.0);
}

TEST(Dropout, FusedAndSplitEntryPointsAgree) {
  auto g = build(0.3, 5, false);
  Result a = run(*g, true), b = run(*g, false);
  EXPECT_EQ(a.y, b.y);
  EXPECT_EQ(a.grad, b.grad);
}

TEST(Dropout, SameOnEveryThread) {
  auto g = build(0.5, 99, false);
  Result ref = run(*g, true);
  std::vector<Result> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] { got[t] = run(*g, t % 2 == 0); });
  for (std::thread &t : threads) t.join();
  for (const Result &r : got) {
    EXPECT_EQ(r.y, ref.y);
    EXPECT_EQ(r.grad, ref.grad);
  }
}

TEST(Dropout, SeedsPickTheMask) {
  auto a = build(0.5, 1, false), b = build(0.5, 1, false), c = build(0.5, 2, false);
  EXPECT_EQ(run(*a, true).y, run(*b, true).y); // same seed, separate compiles
  EXPECT_NE(run(*a, true).y, run(*c, true).y);
  auto r = build(0.5, 1, true); // a run-time seed on top of the attribute
  EXPECT_EQ(run(*r, true, 7).y, run(*r, true, 7).y);
  EXPECT_NE(run(*r, true, 7).y, run(*r, true, 8).y);
}

TEST(Dropout, IdentityWithoutTrainingOrAtPZero) {
  for (AttrMap at : {AttrMap{{"p", 0.0}}, AttrMap{{"p", 0.7}, {"training", false}}}) {
    GraphBuilder b("d");
    Node *x = b.addInput("x", {DType::F64, {3, 7}}, true, {});
    b.addOp(OpKind::Dropout, {V(x)}, at, "y", false);
    b.addOp(OpKind::Sum, {V(b.lookup("y"))}, {}, "out", false);
    b.addOutput("y");
    b.addOutput("out");
    auto g = testCompiler().compile(*b.finish());
    Session s(*g);
    std::vector<double> v(21);
    for (size_t i = 0; i < v.size(); ++i) v[i] = 0.25 * static_cast<double>(i) - 2;
    s.setInput("x", Tensor::fromDoubles(DType::F64, {3, 7}, v));
    s.runFused({{"out"}}, false);
    EXPECT_EQ(s.output("y").toDoubles(), v);
    EXPECT_EQ(s.grad("x")->toDoubles(), std::vector<double>(21, 1.0));
  }
}

TEST(Dropout, DefaultSeedsDifferByName) {
  GraphBuilder b("d");
  Node *x = b.addInput("x", {DType::F32, {4}}, true, {});
  Node *a = b.addOp(OpKind::Dropout, {V(x)}, {}, "a", false);
  Node *c = b.addOp(OpKind::Dropout, {V(x)}, {}, "c", false);
  EXPECT_NE(getInt(a->attrs, "seed", 0), getInt(c->attrs, "seed", 0));
  EXPECT_EQ(getInt(a->attrs, "seed", 0), defaultDropoutSeed("a", 1));
}

} // namespace
