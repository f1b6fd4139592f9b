//===- tests/frontend/GraphBuilderTest.cpp - Building graphs in code -------===//
#include "frontend/GraphBuilder.h"
#include "ir/Error.h"

#include <gtest/gtest.h>

using namespace gradc;

namespace {

TEST(GraphBuilder, FailedOpLeavesTheGraphAsItWas) {
  GraphBuilder b("g");
  Node *x = b.addInput("x", {DType::F32, {2, 3}}, true, {});
  Node *w = b.addInput("w", {DType::F32, {4}}, false, {});
  size_t before = b.definedNames().size();
  // The literal 2 becomes a constant before add's shape rule rejects the
  // shapes [2, 3] and [4]; the caller who catches the error keeps a graph
  // without it.
  EXPECT_THROW(b.addOp(OpKind::Where,
                       {BuildOperand::of(x), BuildOperand::number(2), BuildOperand::of(w)},
                       {}, "bad", false),
               Error);
  EXPECT_THROW(b.addOp(OpKind::Add, {BuildOperand::of(x), BuildOperand::of(w)}, {},
                       "bad", false),
               Error);
  EXPECT_EQ(b.definedNames().size(), before);
  EXPECT_EQ(b.lookup("bad"), nullptr);
  // The graph is still usable, and the name is free.
  b.addOp(OpKind::Mul, {BuildOperand::of(x), BuildOperand::number(2)}, {}, "bad", false);
  b.addOutput("bad");
  auto g = b.finish();
  int constants = 0;
  for (const auto &n : g->nodes()) constants += n->op == OpKind::Constant;
  EXPECT_EQ(constants, 1);
}

} // namespace
