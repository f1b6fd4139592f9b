//===- ir/Op.h - The op table ----------------------------------*- C++ -*-===//
//
// One row per op: its name (as PyTorch spells it), arity, class, allowed
// attributes, shape rule and the PyTorch grad_fn name of its backward. The
// vector-Jacobian rules live with the autodiff pass (passes/AutodiffRules),
// keyed by the same OpKind.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_OP_H
#define GRADC_IR_OP_H

#include "ir/Attr.h"
#include "ir/Types.h"

#include <optional>
#include <string>
#include <vector>

namespace gradc {

/// Every operation the IR knows. The order groups ops by class.
enum class OpKind {
  // Leaves.
  Input, Constant, Seed,
  // Elementwise unary.
  Neg, Exp, Log, Sqrt, Abs, Sin, Cos, Tanh, Sigmoid, Relu, Sign, Detach,
  // Elementwise binary (broadcasting).
  Add, Sub, Mul, Div, Pow, Maximum, Minimum,
  // Comparisons (broadcasting, bool result, no gradient).
  Lt, Le, Gt, Ge, Eq, Ne,
  // where(cond, a, b).
  Where,
  // Reductions over `dim` with `keepdim`.
  Sum, Mean, Max, Min,
  // Shape ops.
  Reshape, Expand, Transpose, Permute, Squeeze, Unsqueeze, Concat, Slice,
  // Linear algebra and losses.
  Matmul, Softmax, LogSoftmax, CrossEntropy, MseLoss,
  // grad(loss, w): a gradient as a differentiable value; expanded into
  // ordinary nodes by passes/ExpandGrad before any other pass sees it.
  Grad,
  // Internal helper ops: built by autodiff only, never written by users.
  // Kept last because the op table is indexed by this enum's order.
  ArgmaxMask, ArgminMask, SliceBackward, CrossEntropyBackward, Gemm,
};

/// Broad classes of ops, used by passes and codegen to share logic.
enum class OpClass {
  Leaf, Unary, Binary, Compare, Ternary, Reduce, Shape, Special
};

/// Shape rule: checks operand types and attributes, may canonicalize the
/// attributes in place (e.g. negative `dim` -> positive, sorted), and returns
/// the result type. Throws gradc::Error with a message that names the
/// problem; the caller adds where (node name, JSON path, file:line:col).
using ShapeRule = TensorType (*)(const std::vector<TensorType> &operands,
                                 AttrMap &attrs);

/// One row of the op table.
struct OpInfo {
  OpKind kind;
  const char *name;      ///< PyTorch spelling, used in JSON, DSL and IR.
  int minArity;          ///< Fewest operands.
  int maxArity;          ///< Most operands; -1 for variadic.
  OpClass cls;
  const char *gradFn;    ///< PyTorch grad_fn base name; nullptr: no gradient.
  std::vector<std::string> attrs; ///< Attribute names the op accepts.
  ShapeRule infer;
  /// An internal helper op of the backward pass (named with a leading
  /// underscore, like PyTorch's internal ops): it prints and parses in IR
  /// text but is not part of the user op set.
  bool internal = false;
};

/// The row of an op.
const OpInfo &opInfo(OpKind k);
/// Looks an op up by its name; std::nullopt for unknown names.
std::optional<OpKind> lookupOp(const std::string &name);
/// All op names users may write (excludes input/constant/seed and the
/// internal helper ops).
std::vector<std::string> userOpNames();

/// Normalizes a possibly negative dimension index for a tensor of `rank`;
/// throws gradc::Error when it is out of range.
int64_t normalizeDim(int64_t dim, int64_t rank);

} // namespace gradc

#endif // GRADC_IR_OP_H
