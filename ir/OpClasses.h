//===- ir/OpClasses.h - One enum per op class, from the op list -*- C++ -*-===//
//
// The ops of each OpClass as an enum of their own, generated from the Class
// column of ir/Ops.def: UnaryOp holds exactly the rows of class Unary, in
// row order, with the OpKind enumerator names (UnaryOp::Gelu is
// OpKind::Gelu). A stage that treats the classes differently dispatches on
// the class first and then switches over the class's enum, exhaustively and
// without a default: -Werror=switch still lists every place a new op of that
// class must be handled, and never the places that only handle other
// classes. So a new elementwise unary op is a compile error in the unary
// VJP rule, not in the rule of every other class.
//
// A switch over OpKind itself stays exhaustive where every op needs an
// answer of its own (the JVP rules);
// everywhere else a stage asks a row-derived property (opInfo(k).cls,
// isElementwise, ...) first, and a stage for which doing nothing is correct
// (folding, rewrites) names the ops it handles.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_OPCLASSES_H
#define GRADC_IR_OPCLASSES_H

#include "ir/Op.h"

namespace gradc {

/// The leaves: input, constant, seed.
enum class LeafOp {
#define GRADC_IN_Leaf(Kind) Kind,
#include "ir/OpsOfClass.def"
};

/// The unary ops (elementwise, and detach).
enum class UnaryOp {
#define GRADC_IN_Unary(Kind) Kind,
#include "ir/OpsOfClass.def"
};

/// The binary ops with a float result (broadcasting).
enum class BinaryOp {
#define GRADC_IN_Binary(Kind) Kind,
#include "ir/OpsOfClass.def"
};

/// The comparisons (broadcasting, bool result).
enum class CompareOp {
#define GRADC_IN_Compare(Kind) Kind,
#include "ir/OpsOfClass.def"
};

/// The ops of three operands (where).
enum class TernaryOp {
#define GRADC_IN_Ternary(Kind) Kind,
#include "ir/OpsOfClass.def"
};

/// The reductions over `dim` of the fused loop nests.
enum class ReduceOp {
#define GRADC_IN_Reduce(Kind) Kind,
#include "ir/OpsOfClass.def"
};

/// The shape ops (views, concat).
enum class ShapeOp {
#define GRADC_IN_Shape(Kind) Kind,
#include "ir/OpsOfClass.def"
};

/// The ops with a loop nest (or a BLAS call) of their own.
enum class SpecialOp {
#define GRADC_IN_Special(Kind) Kind,
#include "ir/OpsOfClass.def"
};

/// The position of `k` among the ops of its class, in row order: the value
/// of its enumerator in the class's enum.
int indexInClass(OpKind k);

/// The class enum of `k`. Each throws InternalError (naming the op and the
/// class asked for) when `k` is of another class: the caller dispatched on
/// the class wrongly, which is a bug, not a user error.
LeafOp leafOp(OpKind k);
UnaryOp unaryOp(OpKind k);
BinaryOp binaryOp(OpKind k);
CompareOp compareOp(OpKind k);
TernaryOp ternaryOp(OpKind k);
ReduceOp reduceOp(OpKind k);
ShapeOp shapeOp(OpKind k);
SpecialOp specialOp(OpKind k);

} // namespace gradc

#endif // GRADC_IR_OPCLASSES_H
