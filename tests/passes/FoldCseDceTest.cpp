//===- tests/passes/FoldCseDceTest.cpp - const-fold, cse, dce -------------===//
#include "passes/CSE.h"
#include "passes/ConstantFold.h"
#include "passes/DeadCodeElimination.h"
#include "tests/passes/PassTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gradc {
namespace {

using test::countOp;
using test::output;
using test::parseIR;

TEST(ConstantFold, FoldsInTheNodesDtype) {
  std::unique_ptr<Graph> g = parseIR(
      "graph \"t\" {\n"
      "  %a = constant() {value = 1.0} : f32[]\n"
      "  %b = constant() {value = 3.0} : f32[]\n"
      "  %q = div(%a, %b) : f32[]\n"
      "  %e = exp(%a) : f32[]\n"
      "  %d = constant() {value = 1.0} : f64[]\n"
      "  %ed = exp(%d) : f64[]\n"
      "  %c = lt(%a, %b) : bool[]\n"
      "  %x = expand(%q) {shape = [2, 3]} : f32[2,3]\n"
      "  %s = sum(%x) : f32[]\n"
      "  output \"q\" = %q\n  output \"e\" = %e\n  output \"ed\" = %ed\n"
      "  output \"c\" = %c\n  output \"s\" = %s\n}\n");
  EXPECT_TRUE(foldConstants(*g));
  verifyGraph(*g);
  auto value = [&](const char *o) {
    const Node *n = output(*g, o);
    EXPECT_EQ(n->op, OpKind::Constant) << o;
    return getFloat(n->attrs, "value", -1);
  };
  EXPECT_EQ(value("q"), static_cast<double>(1.0f / 3.0f)); // f32 division
  EXPECT_EQ(value("e"), static_cast<double>(std::exp(1.0f))); // expf
  EXPECT_EQ(value("ed"), std::exp(1.0));
  EXPECT_EQ(value("c"), 1.0);
  EXPECT_EQ(value("s"), static_cast<double>(float(6.0 * double(1.0f / 3.0f))));
  EXPECT_EQ(output(*g, "c")->type.dtype, DType::Bool);
}

TEST(ConstantFold, LeavesInputsAndInterfaceAlone) {
  std::unique_ptr<Graph> g = parseIR(
      "graph \"t\" {\n  %x = input() {requires_grad = true} : f32[]\n"
      "  %a = constant() {value = 2.0} : f32[]\n  %y = mul(%x, %a) : f32[]\n"
      "  output \"y\" = %y\n}\n");
  EXPECT_FALSE(foldConstants(*g));
  EXPECT_EQ(output(*g, "y")->op, OpKind::Mul);
}

TEST(CSE, MergesEqualComputations) {
  std::unique_ptr<Graph> g = parseIR(
      "graph \"t\" {\n  %x = input() : f32[4]\n  %y = input() : f32[4]\n"
      "  %a = mul(%x, %y) : f32[4]\n  %b = mul(%y, %x) : f32[4]\n"
      "  %c = add(%a, %b) : f32[4]\n  %d = add(%b, %a) : f32[4]\n"
      "  %m1 = maximum(%x, %y) : f32[4]\n  %m2 = maximum(%y, %x) : f32[4]\n"
      "  %k1 = constant() {value = 2.0} : f32[]\n"
      "  %k2 = constant() {value = 2.0} : f32[]\n"
      "  %p = mul(%c, %k1) : f32[4]\n  %q = mul(%d, %k2) : f32[4]\n"
      "  output \"p\" = %p\n  output \"q\" = %q\n"
      "  output \"m1\" = %m1\n  output \"m2\" = %m2\n}\n");
  EXPECT_TRUE(eliminateCommonSubexpressions(*g));
  verifyGraph(*g);
  // x*y = y*x exactly, so a = b, c = d, and with k1 = k2, p = q.
  EXPECT_EQ(output(*g, "p"), output(*g, "q"));
  EXPECT_EQ(countOp(*g, OpKind::Mul), 2);
  // maximum is not commutative in the sign of a zero: both stay.
  EXPECT_NE(output(*g, "m1"), output(*g, "m2"));
}

TEST(CSE, NeverMergesInputsSeedsOrDifferentAttributes) {
  std::unique_ptr<Graph> g = parseIR(
      "graph \"t\" {\n  %x = input() : f32[2,3]\n  %y = input() : f32[2,3]\n"
      "  %a = sum(%x) {dim = [0]} : f32[3]\n  %b = sum(%x) {dim = [0]} : f32[3]\n"
      "  %c = sum(%x) {dim = [0], keepdim = true} : f32[1,3]\n"
      "  output \"a\" = %a\n  output \"b\" = %b\n  output \"c\" = %c\n"
      "  output \"y\" = %y\n}\n");
  EXPECT_TRUE(eliminateCommonSubexpressions(*g));
  EXPECT_EQ(output(*g, "a"), output(*g, "b"));
  EXPECT_NE(output(*g, "a"), output(*g, "c"));
  EXPECT_EQ(g->inputs().size(), 2u);
}

TEST(DCE, RemovesWhatNothingNeedsButKeepsTheABI) {
  std::unique_ptr<Graph> g = test::jointOf(
      "graph \"t\" {\n  %x = input() {requires_grad = true} : f32[4]\n"
      "  %unused = input() : f32[4]\n"
      "  %y = exp(%x) : f32[4]\n  %dead = tanh(%y) : f32[4]\n"
      "  %s = sum(%y) : f32[]\n  output \"s\" = %s\n}\n");
  EXPECT_TRUE(eliminateDeadCode(*g));
  EXPECT_EQ(g->findNode("dead"), nullptr);
  EXPECT_NE(g->findNode("unused"), nullptr); // inputs are arguments
  EXPECT_EQ(g->seeds().size(), 1u);          // so are seeds
  EXPECT_FALSE(eliminateDeadCode(*g));       // nothing left to do
}

} // namespace
} // namespace gradc
