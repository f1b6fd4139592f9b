//===- passes/GradBuilder.cpp - Node construction for derivative rules ----===//
#include "passes/GradBuilder.h"

#include <algorithm>

namespace gradc {

Node *GradBuilder::scalar(double v, DType dtype) {
  return g_.addConstant({dtype, {}}, v);
}

Node *GradBuilder::full(double v, const TensorType &type) {
  return g_.addConstant(type, v);
}

Node *GradBuilder::op(OpKind k, std::vector<Node *> operands, AttrMap attrs) {
  return g_.addNode(k, std::move(operands), std::move(attrs));
}

Node *GradBuilder::reshape(Node *x, const Shape &shape) {
  if (x->type.shape == shape) return x;
  return op(OpKind::Reshape, {x}, {{"shape", shape}});
}

Node *GradBuilder::expandTo(Node *x, const Shape &shape) {
  if (x->type.shape == shape) return x;
  return op(OpKind::Expand, {x}, {{"shape", shape}});
}

Node *GradBuilder::sumTo(Node *x, const Shape &shape) {
  const Shape &from = x->type.shape;
  if (from == shape) return x;
  size_t lead = from.size() - shape.size();
  std::vector<int64_t> dims;
  for (size_t i = 0; i < from.size(); ++i)
    if (i < lead || (shape[i - lead] == 1 && from[i] != 1))
      dims.push_back(static_cast<int64_t>(i));
  Node *s = x;
  if (!dims.empty())
    s = op(OpKind::Sum, {x}, {{"dim", dims}, {"keepdim", true}});
  return reshape(s, shape);
}

Node *GradBuilder::unreduce(Node *x, const std::vector<int64_t> &dims,
                            bool keepdim, const Shape &full) {
  Shape kept = full;
  for (int64_t d : dims) kept[d] = 1;
  Node *r = keepdim ? x : reshape(x, kept);
  return expandTo(r, full);
}

} // namespace gradc
