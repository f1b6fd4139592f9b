//===- ir/OpClasses.cpp - One enum per op class, from the op list ---------===//
#include "ir/OpClasses.h"

#include "ir/Error.h"

#include <array>

namespace gradc {
namespace {

/// The Class column, indexed by OpKind.
constexpr OpClass kClassOf[] = {
#define GRADC_OP(Kind, name, minArity, maxArity, Class, ...) OpClass::Class,
#include "ir/Ops.def"
};
static_assert(sizeof(kClassOf) / sizeof(kClassOf[0]) == kNumOps);

/// How many rows of the same class come before each row.
constexpr std::array<int, kNumOps> classIndices() {
  std::array<int, kNumOps> idx{};
  for (size_t i = 0; i < kNumOps; ++i)
    for (size_t j = 0; j < i; ++j)
      if (kClassOf[j] == kClassOf[i]) ++idx[i];
  return idx;
}
constexpr std::array<int, kNumOps> kIndexInClass = classIndices();

constexpr int indexOf(OpKind k) { return kIndexInClass[static_cast<size_t>(k)]; }

// Both the class enums and kIndexInClass follow the rows in order, so each
// enumerator has the value of its op's index; checked here for every row,
// so the conversions below are exact by construction.
#define GRADC_SAME_INDEX(Cls, Kind)                                            \
  static_assert(static_cast<int>(Cls::Kind) == indexOf(OpKind::Kind));
#define GRADC_IN_Leaf(Kind) GRADC_SAME_INDEX(LeafOp, Kind)
#define GRADC_IN_Unary(Kind) GRADC_SAME_INDEX(UnaryOp, Kind)
#define GRADC_IN_Binary(Kind) GRADC_SAME_INDEX(BinaryOp, Kind)
#define GRADC_IN_Compare(Kind) GRADC_SAME_INDEX(CompareOp, Kind)
#define GRADC_IN_Ternary(Kind) GRADC_SAME_INDEX(TernaryOp, Kind)
#define GRADC_IN_Reduce(Kind) GRADC_SAME_INDEX(ReduceOp, Kind)
#define GRADC_IN_Shape(Kind) GRADC_SAME_INDEX(ShapeOp, Kind)
#define GRADC_IN_Special(Kind) GRADC_SAME_INDEX(SpecialOp, Kind)
#include "ir/OpsOfClass.def"
#undef GRADC_SAME_INDEX

/// `k` as an enumerator of the enum E of class `cls`.
template <typename E> E inClass(OpKind k, OpClass cls, const char *clsName) {
  if (kClassOf[static_cast<size_t>(k)] != cls)
    throw InternalError("op table", std::string("'") + opInfo(k).name +
                                        "' is not of class " + clsName);
  return static_cast<E>(indexOf(k));
}

} // namespace

int indexInClass(OpKind k) { return indexOf(k); }

LeafOp leafOp(OpKind k) { return inClass<LeafOp>(k, OpClass::Leaf, "Leaf"); }
UnaryOp unaryOp(OpKind k) { return inClass<UnaryOp>(k, OpClass::Unary, "Unary"); }
BinaryOp binaryOp(OpKind k) {
  return inClass<BinaryOp>(k, OpClass::Binary, "Binary");
}
CompareOp compareOp(OpKind k) {
  return inClass<CompareOp>(k, OpClass::Compare, "Compare");
}
TernaryOp ternaryOp(OpKind k) {
  return inClass<TernaryOp>(k, OpClass::Ternary, "Ternary");
}
ReduceOp reduceOp(OpKind k) {
  return inClass<ReduceOp>(k, OpClass::Reduce, "Reduce");
}
ShapeOp shapeOp(OpKind k) { return inClass<ShapeOp>(k, OpClass::Shape, "Shape"); }
SpecialOp specialOp(OpKind k) {
  return inClass<SpecialOp>(k, OpClass::Special, "Special");
}

} // namespace gradc
