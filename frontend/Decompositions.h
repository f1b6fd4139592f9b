//===- frontend/Decompositions.h - Composite ops ----------------*- C++ -*-===//
//
// A composite op is a name users may write (in JSON and in the DSL) whose
// meaning is a small graph of primitive ops of ir/Ops.def, as PyTorch's
// decompositions and tinygrad's tensor.py define ops in terms of others.
// GraphBuilder expands a call at once, so the IR, autodiff and codegen
// only ever see the primitives: a composite needs no row in the op list,
// no shape rule, no VJP and no code template of its own, and fusion puts
// its elementwise primitives into one loop nest like any others. An op
// becomes a primitive instead when a decomposition would be slower or
// less accurate than code of its own.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_DECOMPOSITIONS_H
#define GRADC_FRONTEND_DECOMPOSITIONS_H

#include "frontend/GraphBuilder.h"

#include <string>
#include <vector>

namespace gradc {

/// One composite op: its signature and how it expands.
struct Decomposition {
  const char *name;                 ///< PyTorch's spelling.
  int minArity;                     ///< Operands that must be present.
  int arity;                        ///< Tensor (or number) operands, at most.
  /// PyTorch's names of the operands, in order: the DSL binds tensors
  /// given as keywords by them (`nll_loss(x, t, weight=w)`).
  std::vector<std::string> operands;
  std::vector<std::string> attrs;   ///< Attribute names it accepts.
  std::vector<std::string> dslArgs; ///< DSL positional args after operands.
  /// The grad_fn PyTorch 1.13 shows for the op's result (it has one fused
  /// node), recorded on the result node (Node::gradFn); nullptr when the
  /// primitives' own names already are PyTorch's (square, l1_loss,
  /// cross_entropy compute exactly those nodes).
  const char *gradFn;
  /// Adds the primitives computing the op on `operands` to `b`; the node
  /// returned (the result) gets `name`, the others are temporaries, all
  /// inside no_grad when `noGrad`. `operands` has exactly `arity` entries,
  /// absent optional tensors (BuildOperand::absent) included. Arity and
  /// attribute names are checked before it runs.
  Node *(*expand)(GraphBuilder &b, const std::vector<BuildOperand> &operands,
                  const AttrMap &attrs, const std::string &name, bool noGrad);
};

/// Every composite op, in the order docs/ops.md lists them.
const std::vector<Decomposition> &decompositions();

/// The composite op called `name`, or nullptr.
const Decomposition *findDecomposition(const std::string &name);

/// Expands a call of `d`: checks the operand count, that required operands
/// are present, and the attribute names (throwing gradc::Error with a
/// message that names the op), pads missing trailing operands with absent
/// ones, then adds the primitives through `b` and gives the result node
/// the composite's grad_fn.
Node *expandComposite(const Decomposition &d, GraphBuilder &b,
                      const std::vector<BuildOperand> &operands,
                      const AttrMap &attrs, const std::string &name,
                      bool noGrad);

} // namespace gradc

#endif // GRADC_FRONTEND_DECOMPOSITIONS_H
