//===- tests/ir/OpClassesTest.cpp - The per-class op enums ----------------===//
#include "ir/Error.h"
#include "ir/OpClasses.h"

#include <gtest/gtest.h>

#include <map>

using namespace gradc;

namespace {

std::vector<OpKind> allOps() {
  std::vector<OpKind> v;
  for (size_t i = 0; i < kNumOps; ++i) v.push_back(static_cast<OpKind>(i));
  return v;
}

TEST(OpClasses, EnumeratorsAreTheRowsOfTheirClassInOrder) {
  // Each op's index counts the rows of its class before it, so within a
  // class the indices are 0, 1, 2, ... in row order.
  std::map<OpClass, int> next;
  for (OpKind k : allOps()) {
    OpClass c = opInfo(k).cls;
    EXPECT_EQ(indexInClass(k), next[c]++) << opInfo(k).name;
  }
  // The conversions give the enumerator of the same name.
  EXPECT_EQ(leafOp(OpKind::Seed), LeafOp::Seed);
  EXPECT_EQ(unaryOp(OpKind::Gelu), UnaryOp::Gelu);
  EXPECT_EQ(unaryOp(OpKind::Detach), UnaryOp::Detach);
  EXPECT_EQ(binaryOp(OpKind::MaskedFill), BinaryOp::MaskedFill);
  EXPECT_EQ(compareOp(OpKind::Ne), CompareOp::Ne);
  EXPECT_EQ(ternaryOp(OpKind::Where), TernaryOp::Where);
  EXPECT_EQ(reduceOp(OpKind::Min), ReduceOp::Min);
  EXPECT_EQ(shapeOp(OpKind::Select), ShapeOp::Select);
  EXPECT_EQ(specialOp(OpKind::GroupNormXhat), SpecialOp::GroupNormXhat);
}

TEST(OpClasses, AnOpOfAnotherClassIsAnInternalError) {
  // A stage that dispatched on the class wrongly must not read some other
  // op's case.
  try {
    unaryOp(OpKind::Add);
    FAIL() << "expected an internal error";
  } catch (const InternalError &e) {
    EXPECT_NE(std::string(e.what()).find("'add' is not of class Unary"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(reduceOp(OpKind::Logsumexp), InternalError);
  EXPECT_THROW(shapeOp(OpKind::Detach), InternalError);
  EXPECT_THROW(leafOp(OpKind::Neg), InternalError);
  EXPECT_THROW(ternaryOp(OpKind::MaskedFill), InternalError);
}

} // namespace
