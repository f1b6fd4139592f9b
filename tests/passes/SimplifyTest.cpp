//===- tests/passes/SimplifyTest.cpp - Algebraic simplification -----------===//
#include "passes/Simplify.h"
#include "tests/passes/PassTestUtil.h"

#include <gtest/gtest.h>

namespace gradc {
namespace {

using test::countOp;
using test::output;
using test::parseIR;

/// Simplifies `body` (nodes over %x : f32[4] and %c, a scalar input) and
/// returns the node `%r = exp(...)` reads afterwards.
const Node *simplifiedOperand(const std::string &body, std::unique_ptr<Graph> &g) {
  g = parseIR("graph \"t\" {\n"
              "  %x = input() {requires_grad = true} : f32[4]\n"
              "  %c = input() : f32[]\n" +
              body +
              "  %r = exp(%v) : f32[4]\n"
              "  output \"r\" = %r\n}\n");
  EXPECT_TRUE(simplifyAlgebra(*g));
  verifyGraph(*g);
  return output(*g, "r")->operands[0];
}

TEST(Simplify, IdentitiesDisappear) {
  for (const char *body : {
           "  %0 = constant() {value = 1.0} : f32[]\n  %v = mul(%x, %0) : f32[4]\n",
           "  %0 = constant() {value = 1.0} : f32[]\n  %v = mul(%0, %x) : f32[4]\n",
           "  %0 = constant() {value = 0.0} : f32[]\n  %v = add(%x, %0) : f32[4]\n",
           "  %0 = constant() {value = 0.0} : f32[]\n  %v = sub(%x, %0) : f32[4]\n",
           "  %0 = constant() {value = 1.0} : f32[]\n  %v = div(%x, %0) : f32[4]\n",
           "  %0 = constant() {value = 1.0} : f32[]\n  %v = pow(%x, %0) : f32[4]\n",
           "  %n = neg(%x) : f32[4]\n  %v = neg(%n) : f32[4]\n",
           "  %v = detach(%x) : f32[4]\n",
           "  %m = gt(%x, %c) : bool[4]\n  %v = where(%m, %x, %x) : f32[4]\n",
           "  %0 = reshape(%x) {shape = [2, 2]} : f32[2,2]\n"
           "  %v = reshape(%0) {shape = [4]} : f32[4]\n",
       }) {
    std::unique_ptr<Graph> g;
    const Node *v = simplifiedOperand(body, g);
    EXPECT_EQ(v->name, "x") << body;
  }
}

TEST(Simplify, IdentityOfADifferentShapeStays) {
  // x + zeros(2, 4) broadcasts: the result is not x.
  std::unique_ptr<Graph> g = parseIR(
      "graph \"t\" {\n  %x = input() : f32[4]\n"
      "  %0 = constant() {value = 0.0} : f32[2,4]\n"
      "  %v = add(%x, %0) : f32[2,4]\n  %r = exp(%v) : f32[2,4]\n"
      "  output \"r\" = %r\n}\n");
  simplifyAlgebra(*g);
  EXPECT_EQ(output(*g, "r")->operands[0]->op, OpKind::Add);
}

TEST(Simplify, RewritesToCheaperForms) {
  std::unique_ptr<Graph> g;
  const Node *v = simplifiedOperand(
      "  %0 = constant() {value = 2.0} : f32[]\n  %v = pow(%x, %0) : f32[4]\n", g);
  EXPECT_EQ(v->op, OpKind::Mul); // x ** 2 = x * x, as PyTorch computes it
  EXPECT_EQ(v->operands[0], v->operands[1]);

  v = simplifiedOperand("  %n = neg(%c) : f32[]\n  %v = add(%x, %n) : f32[4]\n", g);
  EXPECT_EQ(v->op, OpKind::Sub); // x + (-c) = x - c

  v = simplifiedOperand("  %n = neg(%c) : f32[]\n  %v = sub(%x, %n) : f32[4]\n", g);
  EXPECT_EQ(v->op, OpKind::Add); // x - (-c) = x + c

  v = simplifiedOperand("  %v = add(%x, %x) : f32[4]\n", g);
  ASSERT_EQ(v->op, OpKind::Mul); // x + x = 2x exactly
  EXPECT_EQ(v->operands[1]->op, OpKind::Constant);

  v = simplifiedOperand(
      "  %0 = constant() {value = -1.0} : f32[]\n  %v = mul(%x, %0) : f32[4]\n", g);
  EXPECT_EQ(v->op, OpKind::Neg);
}

TEST(Simplify, ViewChainsCollapse) {
  std::unique_ptr<Graph> g = parseIR(
      "graph \"t\" {\n  %s = input() : f32[]\n"
      "  %0 = reshape(%s) {shape = [1, 1]} : f32[1,1]\n"
      "  %1 = expand(%0) {shape = [3, 2]} : f32[3,2]\n"
      "  %2 = expand(%1) {shape = [5, 3, 2]} : f32[5,3,2]\n"
      "  %r = exp(%2) : f32[5,3,2]\n  output \"r\" = %r\n}\n");
  EXPECT_TRUE(simplifyAlgebra(*g));
  // exp(expand(reshape(s))) -> expand(exp(s)): one broadcast of a scalar
  // that was computed once.
  const Node *r = output(*g, "r");
  ASSERT_EQ(r->op, OpKind::Expand);
  EXPECT_EQ(r->operands[0]->op, OpKind::Exp);
  EXPECT_EQ(r->operands[0]->operands[0]->name, "s");
  EXPECT_EQ(countOp(*g, OpKind::Reshape), 0);
}

TEST(Simplify, ReductionsOfBroadcasts) {
  std::unique_ptr<Graph> g = parseIR(
      "graph \"t\" {\n  %b = input() : f32[3]\n"
      "  %e = expand(%b) {shape = [4, 3]} : f32[4,3]\n"
      "  %s = sum(%e) {dim = [0]} : f32[3]\n"
      "  %m = mean(%e) {dim = [0], keepdim = true} : f32[1,3]\n"
      "  %k = max(%e) {dim = [1]} : f32[4]\n"
      "  %one = sum(%b) {dim = [0]} : f32[]\n"
      "  output \"s\" = %s\n  output \"m\" = %m\n  output \"k\" = %k\n"
      "  output \"one\" = %one\n}\n");
  EXPECT_TRUE(simplifyAlgebra(*g));
  const Node *s = output(*g, "s");
  ASSERT_EQ(s->op, OpKind::Mul); // sum of 4 copies = 4 b
  EXPECT_EQ(getFloat(s->operands[1]->attrs, "value", 0), 4.0);
  const Node *m = output(*g, "m"); // mean of copies = b
  ASSERT_EQ(m->op, OpKind::Reshape);
  EXPECT_EQ(m->operands[0]->name, "b");
  EXPECT_EQ(output(*g, "k")->op, OpKind::Max); // dim 1 is real: stays
  EXPECT_EQ(output(*g, "one")->op, OpKind::Sum); // dim 0 has 3 elements
}

TEST(Simplify, TransposedProductsReadTheirOperandsTransposed) {
  // (a @ b)^T = b^T @ a^T: one GEMM with both operands read transposed.
  std::unique_ptr<Graph> g = parseIR(
      "graph \"t\" {\n  %a = input() : f32[3,4]\n  %b = input() : f32[4,5]\n"
      "  %p = matmul(%a, %b) : f32[3,5]\n"
      "  %t = transpose(%p) {dim0 = 0, dim1 = 1} : f32[5,3]\n"
      "  %r = exp(%t) : f32[5,3]\n  output \"r\" = %r\n}\n");
  EXPECT_TRUE(simplifyAlgebra(*g));
  verifyGraph(*g);
  const Node *p = output(*g, "r")->operands[0];
  ASSERT_EQ(p->op, OpKind::Gemm);
  EXPECT_EQ(p->operands[0]->name, "b");
  EXPECT_EQ(p->operands[1]->name, "a");
  EXPECT_TRUE(getBool(p->attrs, "trans_a", false));
  EXPECT_TRUE(getBool(p->attrs, "trans_b", false));
  EXPECT_EQ(countOp(*g, OpKind::Transpose), 0);
}

TEST(Simplify, KeepsTheGradFnOfOutputs) {
  // y = x * 1 is an output that requires grad: replacing it by x would
  // change what the module reports (grad_fn MulBackward0, a leaf).
  std::unique_ptr<Graph> g = parseIR(
      "graph \"t\" {\n  %x = input() {requires_grad = true} : f32[4]\n"
      "  %0 = constant() {value = 1.0} : f32[]\n  %y = mul(%x, %0) : f32[4]\n"
      "  output \"y\" = %y\n}\n");
  EXPECT_FALSE(simplifyAlgebra(*g));
  EXPECT_EQ(output(*g, "y")->op, OpKind::Mul);
}

TEST(Simplify, ReportsNoChangeWhenNothingApplies) {
  std::unique_ptr<Graph> g = parseIR(
      "graph \"t\" {\n  %x = input() : f32[4]\n  %y = exp(%x) : f32[4]\n"
      "  output \"y\" = %y\n}\n");
  std::string before = printGraph(*g);
  EXPECT_FALSE(simplifyAlgebra(*g));
  EXPECT_EQ(printGraph(*g), before);
}

} // namespace
} // namespace gradc
