//===- ir/Op.h - The op table ----------------------------------*- C++ -*-===//
//
// The op table, generated from the op list ir/Ops.def: one row per op with
// its name (as PyTorch spells it), arity, class, property flags, lowering
// kind, allowed attributes, DSL signature, shape rule and the PyTorch
// grad_fn name of its backward. The vector-Jacobian rules live with the
// autodiff pass (passes/AutodiffRules), keyed by the same OpKind.
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

/// Every operation the IR knows, in the order of ir/Ops.def.
enum class OpKind {
#define GRADC_OP(Kind, ...) Kind,
#include "ir/Ops.def"
};

/// The number of ops (the size of the table opInfo indexes).
inline constexpr size_t kNumOps = 0
#define GRADC_OP(Kind, ...) +1
#include "ir/Ops.def"
    ;

/// Broad classes of ops, used by passes and codegen to share logic; each
/// has an enum of its ops (ir/OpClasses.h) for switches over one class.
enum class OpClass {
  Leaf, Unary, Binary, Compare, Ternary, Reduce, Shape, Special
};

/// Property flags of an op (the Props column of ir/Ops.def).
namespace opprop {
inline constexpr unsigned NoProps = 0;
/// PyTorch returns a view of the operand (shares its storage).
inline constexpr unsigned View = 1u << 0;
/// The operand's elements in the same order under a new shape.
inline constexpr unsigned Reshape = 1u << 1;
/// The operand's value unchanged (detach).
inline constexpr unsigned Identity = 1u << 2;
/// One result per element of the result's shape, from the operands at
/// that (broadcast) index.
inline constexpr unsigned Elementwise = 1u << 3;
/// The two operands may swap without changing a bit of the result.
inline constexpr unsigned Commutative = 1u << 4;
/// Folds the dims `dim` of its one operand.
inline constexpr unsigned Reduction = 1u << 5;
/// An internal helper op of the backward pass (named with a leading
/// underscore, like PyTorch's internal ops): it prints and parses in IR
/// text but is not part of the user op set.
inline constexpr unsigned Internal = 1u << 6;
} // namespace opprop

/// How codegen computes an op (the Lower column of ir/Ops.def).
enum class LowerKind {
  None,    ///< a leaf: its storage is given
  Alias,   ///< no code: the operand's storage under a new shape
  Loop,    ///< a fusible loop nest (elementwise or reduction)
  Blas,    ///< a BLAS call when the operands are in memory
  Special, ///< a loop nest of its own from codegen/OpEmitter
};

/// Shape rule: checks operand types and attributes, may canonicalize the
/// attributes in place (e.g. negative `dim` -> positive, sorted), and returns
/// the result type. Throws gradc::Error with a message that names the
/// problem; the caller adds where (node name, JSON path, file:line:col).
using ShapeRule = TensorType (*)(const std::vector<TensorType> &operands,
                                 AttrMap &attrs);

/// One row of the op table, generated from ir/Ops.def.
struct OpInfo {
  OpKind kind;
  const char *name;      ///< PyTorch spelling, used in JSON, DSL and IR.
  int minArity;          ///< Fewest operands.
  int maxArity;          ///< Most operands; -1 for variadic.
  OpClass cls;
  unsigned props;        ///< opprop flags.
  LowerKind lower;
  const char *gradFn;    ///< PyTorch grad_fn base name; nullptr: no gradient.
  std::vector<std::string> attrs; ///< Attribute names the op accepts.
  /// The DSL's positional arguments after the tensor operands.
  std::vector<std::string> dslArgs;
  /// The last of dslArgs gathers the remaining integers (x.reshape(2, 3)).
  bool dslVarargs;
  ShapeRule infer;
  /// See opprop::Internal.
  bool internal;

  /// True when every flag of `p` is set.
  bool has(unsigned p) const { return (props & p) == p; }
};

/// The row of an op.
const OpInfo &opInfo(OpKind k);
/// Looks an op up by its name; std::nullopt for unknown names.
std::optional<OpKind> lookupOp(const std::string &name);
/// All op names users may write (excludes input/constant/seed and the
/// internal helper ops).
std::vector<std::string> userOpNames();

// Property sets, from the columns of ir/Ops.def. Passes and codegen ask
// these instead of listing ops, so a new op row is classified once.

/// PyTorch implements the op as a view of its operand.
bool isView(OpKind k);
/// The operand's elements in the same order under a new shape (reshape,
/// squeeze, unsqueeze).
bool isReshape(OpKind k);
/// Same storage, new shape: a reshape or the identity (detach). Such a node
/// needs no code.
inline bool isAlias(OpKind k) { return opInfo(k).lower == LowerKind::Alias; }
/// One result per element of the result, from the operands at that index.
bool isElementwise(OpKind k);
/// The operands swap bit for bit.
bool isCommutative(OpKind k);
/// Folds some dims of its operand.
bool isReduction(OpKind k);
/// A matrix product that codegen hands to BLAS (matmul, _gemm).
inline bool isMatmulLike(OpKind k) { return opInfo(k).lower == LowerKind::Blas; }

/// Normalizes a possibly negative dimension index for a tensor of `rank`;
/// throws gradc::Error when it is out of range.
int64_t normalizeDim(int64_t dim, int64_t rank);

} // namespace gradc

#endif // GRADC_IR_OP_H
