//===- ir/GradFn.cpp - PyTorch grad_fn names ------------------------------===//
#include "ir/GradFn.h"

namespace gradc {

static bool isScalarConstant(const Node *n) {
  return n->op == OpKind::Constant && n->type.rank() == 0;
}

std::string gradFnName(const Node &n) {
  const OpInfo &info = n.info();
  if (!info.gradFn) return "";
  switch (n.op) {
  case OpKind::Sub:
    // `2 - x` dispatches to rsub(Tensor, Scalar).
    if (isScalarConstant(n.operands[0]) && !isScalarConstant(n.operands[1]))
      return "RsubBackward1";
    return info.gradFn;
  case OpKind::Div:
    // `2 / x` is reciprocal(x) * 2 in PyTorch.
    if (isScalarConstant(n.operands[0]) && !isScalarConstant(n.operands[1]))
      return "MulBackward0";
    return info.gradFn;
  case OpKind::Pow:
    if (isScalarConstant(n.operands[1])) return "PowBackward0";
    if (isScalarConstant(n.operands[0])) return "PowBackward2";
    return "PowBackward1";
  case OpKind::Sum:
  case OpKind::Mean: {
    std::string base = n.op == OpKind::Sum ? "Sum" : "Mean";
    return base + (n.attrs.count("dim") ? "Backward1" : "Backward0");
  }
  case OpKind::Max:
  case OpKind::Min: {
    std::string base = n.op == OpKind::Max ? "Max" : "Min";
    auto it = n.attrs.find("dim");
    if (it == n.attrs.end()) return base + "Backward1";
    // x.max(dim) is MaxBackward0; a list of dims needs amax/amin.
    if (getInts(n.attrs, "dim", {}).size() == 1) return base + "Backward0";
    return std::string(n.op == OpKind::Max ? "Amax" : "Amin") + "Backward0";
  }
  case OpKind::Squeeze:
    return n.attrs.count("dim") && getInts(n.attrs, "dim", {}).size() == 1
               ? "SqueezeBackward1"
               : "SqueezeBackward0";
  case OpKind::Matmul: {
    int64_t ra = n.operands[0]->type.rank(), rb = n.operands[1]->type.rank();
    if (ra == 1 && rb == 1) return "DotBackward0";
    if (ra == 2 && rb == 2) return "MmBackward0";
    if (ra == 2 && rb == 1) return "MvBackward0";
    if (ra == 3 && rb == 3 &&
        n.operands[0]->type.shape[0] == n.operands[1]->type.shape[0])
      return "BmmBackward0";
    return "UnsafeViewBackward0";
  }
  default:
    return info.gradFn;
  }
}

} // namespace gradc
