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

} // namespace gradc
