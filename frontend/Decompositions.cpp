//===- frontend/Decompositions.cpp - Composite ops ------------------------===//
#include "frontend/Decompositions.h"

#include "frontend/CompositeOps.h"
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
      {"square", 1, 1, {"input"}, {}, {}, nullptr, square},
      {"cross_entropy", 2, 3, {"input", "target", "weight"},
       {"reduction", "ignore_index", "label_smoothing"}, {}, nullptr,
       crossEntropy},
      {"l1_loss", 2, 2, {"input", "target"}, {"reduction"}, {}, nullptr,
       l1Loss},
      {"smooth_l1_loss", 2, 2, {"input", "target"}, {"reduction", "beta"},
       {}, "SmoothL1LossBackward0", smoothL1Loss},
      {"huber_loss", 2, 2, {"input", "target"}, {"reduction", "delta"}, {},
       "HuberLossBackward0", huberLoss},
      {"binary_cross_entropy", 2, 3, {"input", "target", "weight"},
       {"reduction"}, {}, "BinaryCrossEntropyBackward0", binaryCrossEntropy},
      {"binary_cross_entropy_with_logits", 2, 4,
       {"input", "target", "weight", "pos_weight"}, {"reduction"}, {},
       "BinaryCrossEntropyWithLogitsBackward0", binaryCrossEntropyWithLogits},
      {"batch_norm", 1, 5,
       {"input", "running_mean", "running_var", "weight", "bias"},
       {"training", "momentum", "eps"}, {"training", "momentum", "eps"},
       "NativeBatchNormBackward0", batchNorm},
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
  int given = static_cast<int>(operands.size());
  if (given < d.minArity || given > d.arity)
    throw Error(std::string(d.name) + " takes " +
                (d.minArity == d.arity
                     ? std::to_string(d.arity)
                     : std::to_string(d.minArity) + " to " +
                           std::to_string(d.arity)) +
                " operand" + (d.arity == 1 ? "" : "s") + ", got " +
                std::to_string(operands.size()));
  for (int k = 0; k < d.minArity; ++k)
    if (operands[k].absent)
      throw Error(std::string(d.name) + ": '" + d.operands[k] +
                  "' (operand " + std::to_string(k) +
                  ") is required and cannot be None (null)");
  std::vector<BuildOperand> padded = operands;
  padded.resize(d.arity, BuildOperand::none());
  for (const auto &kv : attrs) {
    bool known = false;
    for (const std::string &a : d.attrs) known |= a == kv.first;
    if (!known)
      throw Error(std::string(d.name) + " has no attribute '" + kv.first +
                  "'");
  }
  try {
    Node *result = d.expand(b, padded, attrs, name, noGrad);
    // The result is a node of the expansion (never an operand passed
    // through), so the name stays on the composite's own value.
    bool own = true;
    for (const BuildOperand &o : padded) own &= o.node != result;
    if (d.gradFn && own) result->gradFn = d.gradFn;
    return result;
  } catch (const Error &e) {
    // A primitive's complaint, said of the op the user wrote.
    throw Error(std::string(d.name) + ": " + e.what());
  }
}

} // namespace gradc
