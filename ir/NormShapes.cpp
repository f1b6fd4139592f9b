//===- ir/NormShapes.cpp - Shape rules of normalization ops ---------------===//
#include "ir/NormShapes.h"

#include "ir/Error.h"

#include <algorithm>

namespace gradc {

LayerNormLayout layerNormLayout(const Shape &input, const AttrMap &attrs) {
  if (!attrs.count("normalized_shape"))
    throw Error("layer_norm needs the attribute 'normalized_shape'");
  Shape ns = getInts(attrs, "normalized_shape", {});
  if (ns.empty() || ns.size() > input.size() ||
      !std::equal(ns.begin(), ns.end(), input.end() - ns.size()))
    throw Error("layer_norm: normalized_shape " + shapeToString(ns) +
                " is not the trailing shape of the input " +
                shapeToString(input));
  LayerNormLayout l;
  l.cols = numElements(ns);
  l.rows = l.cols == 0 ? 0 : numElements(input) / l.cols;
  l.eps = getFloat(attrs, "eps", 1e-5);
  if (!(l.eps >= 0))
    throw Error("layer_norm: eps must be non-negative");
  return l;
}

namespace {

void requireFloats(const std::vector<TensorType> &in, const char *op) {
  for (const TensorType &t : in)
    if (!isFloat(t.dtype) || t.dtype != in[0].dtype)
      throw Error(std::string(op) + " needs floating-point operands of one "
                  "dtype (f32 or f64)");
}

void canonical(AttrMap &attrs, const LayerNormLayout &l) {
  attrs["normalized_shape"] = getInts(attrs, "normalized_shape", {});
  attrs["eps"] = l.eps;
}

} // namespace

TensorType inferLayerNorm(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireFloats(in, "layer_norm");
  LayerNormLayout l = layerNormLayout(in[0].shape, attrs);
  Shape ns = getInts(attrs, "normalized_shape", {});
  for (size_t i = 1; i < in.size(); ++i)
    if (in[i].shape != ns)
      throw Error(std::string("layer_norm: the ") + (i == 1 ? "weight" : "bias") +
                  " must be " + shapeToString(ns) + ", got " +
                  shapeToString(in[i].shape));
  canonical(attrs, l);
  return in[0];
}

TensorType inferLayerNormBackward(const std::vector<TensorType> &in,
                                  AttrMap &attrs) {
  requireFloats(in, "_layer_norm_backward");
  if (in[0].shape != in[1].shape)
    throw Error("_layer_norm_backward: the gradient must have the input's shape");
  LayerNormLayout l = layerNormLayout(in[1].shape, attrs);
  if (in.size() == 3 && in[2].shape != getInts(attrs, "normalized_shape", {}))
    throw Error("_layer_norm_backward: the weight must have the normalized shape");
  canonical(attrs, l);
  return in[1];
}

TensorType inferLayerNormXhat(const std::vector<TensorType> &in,
                              AttrMap &attrs) {
  requireFloats(in, "_layer_norm_xhat");
  LayerNormLayout l = layerNormLayout(in[0].shape, attrs);
  canonical(attrs, l);
  return in[0];
}

GroupNormLayout groupNormLayout(const Shape &input, const AttrMap &attrs) {
  if (!attrs.count("num_groups"))
    throw Error("group_norm needs the attribute 'num_groups'");
  if (input.size() < 2)
    throw Error("group_norm: the input must be [N, C, ...], got " +
                shapeToString(input));
  GroupNormLayout l;
  l.n = input[0], l.c = input[1];
  l.groups = getInt(attrs, "num_groups", 1);
  if (l.groups < 1 || l.c % l.groups)
    throw Error("group_norm: " + std::to_string(l.c) +
                " channels cannot be split into num_groups=" +
                std::to_string(l.groups));
  for (size_t i = 2; i < input.size(); ++i) l.spatial *= input[i];
  // PyTorch's check (shared with batch_norm) on the statistics' sample
  // count, applied to the [N * C / G, G, *] view it normalizes.
  if (l.n * (l.c / l.groups) * l.spatial == 1)
    throw Error("group_norm: expected more than 1 value per channel when "
                "training, got input size " + shapeToString(input) +
                " with num_groups=" + std::to_string(l.groups) +
                " (as in PyTorch)");
  l.eps = getFloat(attrs, "eps", 1e-5);
  if (!(l.eps >= 0)) throw Error("group_norm: eps must be non-negative");
  return l;
}

namespace {

void canonicalGroup(AttrMap &attrs, const GroupNormLayout &l) {
  attrs["num_groups"] = l.groups;
  attrs["eps"] = l.eps;
}

} // namespace

TensorType inferGroupNorm(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireFloats(in, "group_norm");
  GroupNormLayout l = groupNormLayout(in[0].shape, attrs);
  for (size_t i = 1; i < in.size(); ++i)
    if (in[i].shape != Shape{l.c})
      throw Error(std::string("group_norm: the ") + (i == 1 ? "weight" : "bias") +
                  " must be [" + std::to_string(l.c) + "], got " +
                  shapeToString(in[i].shape));
  canonicalGroup(attrs, l);
  return in[0];
}

TensorType inferGroupNormBackward(const std::vector<TensorType> &in,
                                  AttrMap &attrs) {
  requireFloats(in, "_group_norm_backward");
  if (in[0].shape != in[1].shape)
    throw Error("_group_norm_backward: the gradient must have the input's shape");
  GroupNormLayout l = groupNormLayout(in[1].shape, attrs);
  if (in.size() == 3 && in[2].shape != Shape{l.c})
    throw Error("_group_norm_backward: the weight must be [C]");
  canonicalGroup(attrs, l);
  return in[1];
}

TensorType inferGroupNormXhat(const std::vector<TensorType> &in,
                              AttrMap &attrs) {
  requireFloats(in, "_group_norm_xhat");
  canonicalGroup(attrs, groupNormLayout(in[0].shape, attrs));
  return in[0];
}

} // namespace gradc
