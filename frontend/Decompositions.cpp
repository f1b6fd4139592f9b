//===- frontend/Decompositions.cpp - Composite ops ------------------------===//
#include "frontend/Decompositions.h"

#include "ir/Error.h"

namespace gradc {
namespace {

/// square(x) = x ** 2, which is how PyTorch computes torch.square (its
/// grad_fn is PowBackward0 there too); simplify turns it into x * x.
Node *square(GraphBuilder &b, const std::vector<BuildOperand> &x,
             const AttrMap &, const std::string &name, bool noGrad) {
  return b.addOp(OpKind::Pow, {x[0], BuildOperand::number(2)}, {}, name,
                 noGrad);
}

} // namespace

const std::vector<Decomposition> &decompositions() {
  static const std::vector<Decomposition> table = {
      {"square", 1, {}, {}, square},
  };
  return table;
}

const Decomposition *findDecomposition(const std::string &name) {
  for (const Decomposition &d : decompositions())
    if (name == d.name) return &d;
  return nullptr;
}

Node *expandComposite(const Decomposition &d, GraphBuilder &b,
                      const std::vector<BuildOperand> &operands,
                      const AttrMap &attrs, const std::string &name,
                      bool noGrad) {
  if (static_cast<int>(operands.size()) != d.arity)
    throw Error(std::string(d.name) + " takes " + std::to_string(d.arity) +
                " operand" + (d.arity == 1 ? "" : "s") + ", got " +
                std::to_string(operands.size()));
  for (const auto &kv : attrs) {
    bool known = false;
    for (const std::string &a : d.attrs) known |= a == kv.first;
    if (!known)
      throw Error(std::string(d.name) + " has no attribute '" + kv.first +
                  "'");
  }
  try {
    return d.expand(b, operands, attrs, name, noGrad);
  } catch (const Error &e) {
    // A primitive's complaint, said of the op the user wrote.
    throw Error(std::string(d.name) + ": " + e.what());
  }
}

} // namespace gradc
