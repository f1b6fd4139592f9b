//===- ir/IndexShapes.cpp - Shape rules of indexing ops -------------------===//
#include "ir/IndexShapes.h"

#include "ir/Error.h"
#include "ir/Op.h"

namespace gradc {
namespace {

void requireIndex(const TensorType &t, const char *op, const char *what) {
  if (t.dtype != DType::I32 && t.dtype != DType::I64)
    throw Error(std::string(op) + ": " + what +
                " must hold integers (i32 or i64), got " + dtypeName(t.dtype));
}

void requireGradType(const TensorType &t, const char *op) {
  if (!isFloat(t.dtype))
    throw Error(std::string(op) + " needs a floating-point operand (f32 or "
                "f64), got " + dtypeName(t.dtype));
}

/// The input_size attribute of a backward op, checked to be a shape.
Shape inputSize(const AttrMap &attrs, const char *op) {
  if (!attrs.count("input_size"))
    throw Error(std::string(op) + ": the attribute 'input_size' is required");
  Shape s = getInts(attrs, "input_size", {});
  for (int64_t d : s)
    if (d < 0) throw Error(std::string(op) + ": input_size has a negative size");
  return s;
}

} // namespace

TensorType inferEmbedding(const std::vector<TensorType> &in, AttrMap &attrs) {
  const TensorType &idx = in[0], &w = in[1];
  requireIndex(idx, "embedding", "the input");
  requireGradType(w, "embedding");
  if (w.rank() != 2)
    throw Error("embedding: the weight must be 2-D [num_embeddings, "
                "embedding_dim], got " + shapeToString(w.shape));
  if (attrs.count("padding_idx")) {
    int64_t n = w.shape[0], p = getInt(attrs, "padding_idx", 0);
    if (p < -n || p >= n)
      throw Error("embedding: padding_idx " + std::to_string(p) +
                  " must be within num_embeddings " + std::to_string(n));
    attrs["padding_idx"] = p < 0 ? p + n : p;
  }
  Shape s = idx.shape;
  s.push_back(w.shape[1]);
  return {w.dtype, s};
}

TensorType inferIndexSelect(const std::vector<TensorType> &in, AttrMap &attrs) {
  const TensorType &x = in[0], &idx = in[1];
  requireIndex(idx, "index_select", "the index");
  if (idx.rank() > 1)
    throw Error("index_select: the index must be 1-D, got " +
                shapeToString(idx.shape));
  if (x.rank() == 0)
    throw Error("index_select: the input must have at least one dimension");
  int64_t d = normalizeDim(getInt(attrs, "dim", 0), x.rank());
  attrs["dim"] = d;
  Shape s = x.shape;
  s[d] = idx.numel();
  return {x.dtype, s};
}

TensorType inferIndexSelectBackward(const std::vector<TensorType> &in,
                                    AttrMap &attrs) {
  const TensorType &g = in[0], &idx = in[1];
  requireIndex(idx, "_index_select_backward", "the index");
  requireGradType(g, "_index_select_backward");
  Shape full = inputSize(attrs, "_index_select_backward");
  AttrMap fwd{{"dim", getInt(attrs, "dim", 0)}};
  TensorType y = inferIndexSelect({{g.dtype, full}, idx}, fwd);
  if (y.shape != g.shape)
    throw Error("_index_select_backward: the gradient " +
                shapeToString(g.shape) + " does not match index_select of " +
                shapeToString(full) + " (" + shapeToString(y.shape) + ")");
  attrs["dim"] = fwd["dim"];
  if (attrs.count("padding_idx")) {
    int64_t p = getInt(attrs, "padding_idx", 0), n = full[getInt(fwd, "dim", 0)];
    if (p < 0 || p >= n)
      throw Error("_index_select_backward: padding_idx out of range");
  }
  return {g.dtype, full};
}

TensorType inferGather(const std::vector<TensorType> &in, AttrMap &attrs) {
  const TensorType &x = in[0], &idx = in[1];
  requireIndex(idx, "gather", "the index");
  if (idx.rank() != x.rank())
    throw Error("gather: the index must have the input's rank " +
                std::to_string(x.rank()) + ", got " + shapeToString(idx.shape));
  int64_t d = normalizeDim(getInt(attrs, "dim", 0), x.rank());
  attrs["dim"] = d;
  for (int64_t k = 0; k < x.rank(); ++k)
    if (k != d && idx.shape[k] > x.shape[k])
      throw Error("gather: the index " + shapeToString(idx.shape) +
                  " is larger than the input " + shapeToString(x.shape) +
                  " in dimension " + std::to_string(k));
  return {x.dtype, idx.shape};
}

TensorType inferGatherBackward(const std::vector<TensorType> &in,
                               AttrMap &attrs) {
  const TensorType &g = in[0], &idx = in[1];
  requireGradType(g, "_gather_backward");
  Shape full = inputSize(attrs, "_gather_backward");
  AttrMap fwd{{"dim", getInt(attrs, "dim", 0)}};
  TensorType y = inferGather({{g.dtype, full}, idx}, fwd);
  if (y.shape != g.shape)
    throw Error("_gather_backward: the gradient " + shapeToString(g.shape) +
                " does not match the index " + shapeToString(idx.shape));
  attrs["dim"] = fwd["dim"];
  return {g.dtype, full};
}

TensorType inferSelect(const std::vector<TensorType> &in, AttrMap &attrs) {
  const TensorType &x = in[0];
  if (x.rank() == 0) throw Error("select: cannot select from a scalar");
  if (!attrs.count("index"))
    throw Error("select: the attribute 'index' is required");
  int64_t d = normalizeDim(getInt(attrs, "dim", 0), x.rank());
  int64_t n = x.shape[d], i = getInt(attrs, "index", 0);
  if (i < -n || i >= n)
    throw Error("select: index " + std::to_string(i) +
                " out of range for dimension " + std::to_string(d) +
                " of size " + std::to_string(n));
  attrs["dim"] = d;
  attrs["index"] = i < 0 ? i + n : i;
  Shape s = x.shape;
  s.erase(s.begin() + d);
  return {x.dtype, s};
}

TensorType inferOneHot(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireIndex(in[0], "one_hot", "the input");
  int64_t c = getInt(attrs, "num_classes", -1);
  if (c == -1)
    throw Error("one_hot: num_classes must be given (PyTorch's default -1 "
                "reads the data; gradc's shapes are static)");
  if (c < 1)
    throw Error("one_hot: num_classes must be positive, got " +
                std::to_string(c));
  Shape s = in[0].shape;
  s.push_back(c);
  return {DType::I64, s};
}

} // namespace gradc
