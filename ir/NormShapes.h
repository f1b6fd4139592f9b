//===- ir/NormShapes.h - Shape rules of normalization ops ------*- C++ -*-===//
//
// layer_norm and its internal backward ops: the input's trailing dims
// given by `normalized_shape` are normalized, once per leading index (a
// "row"); weight and bias, when present, have the normalized shape.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_NORMSHAPES_H
#define GRADC_IR_NORMSHAPES_H

#include "ir/Attr.h"
#include "ir/Types.h"

#include <vector>

namespace gradc {

/// A layer_norm input seen as [rows, cols]: cols is the element count of
/// normalized_shape.
struct LayerNormLayout {
  int64_t rows = 0, cols = 0;
  double eps = 1e-5;
};

/// The layout of `input` under the layer_norm attributes; throws
/// gradc::Error when normalized_shape is not a suffix of the input's shape.
LayerNormLayout layerNormLayout(const Shape &input, const AttrMap &attrs);

/// group_norm's input [N, C, *] seen as rows of [N * G, (C / G) * S] with
/// S the product of the trailing dims; the weight of element j of row r is
/// channel (r % G) * (C / G) + j / S.
struct GroupNormLayout {
  int64_t n = 0, c = 0, groups = 1, spatial = 1;
  double eps = 1e-5;
  int64_t rows() const { return n * groups; }
  int64_t cols() const { return (c / groups) * spatial; }
};

/// The layout of `input` under the group_norm attributes (num_groups
/// required, eps); throws gradc::Error when C is not divisible.
GroupNormLayout groupNormLayout(const Shape &input, const AttrMap &attrs);

/// group_norm(input, weight = None, bias = None) {num_groups, eps}.
TensorType inferGroupNorm(const std::vector<TensorType> &in, AttrMap &attrs);
/// _group_norm_backward(g, input[, weight]) and _group_norm_xhat(input).
TensorType inferGroupNormBackward(const std::vector<TensorType> &in,
                                  AttrMap &attrs);
TensorType inferGroupNormXhat(const std::vector<TensorType> &in,
                              AttrMap &attrs);

/// layer_norm(input, weight = None, bias = None) {normalized_shape, eps}.
TensorType inferLayerNorm(const std::vector<TensorType> &in, AttrMap &attrs);
/// _layer_norm_backward(g, input[, weight]): d layer_norm / d input.
TensorType inferLayerNormBackward(const std::vector<TensorType> &in,
                                  AttrMap &attrs);
/// _layer_norm_xhat(input): the normalized input, (x - mean) * rstd.
TensorType inferLayerNormXhat(const std::vector<TensorType> &in,
                              AttrMap &attrs);

} // namespace gradc

#endif // GRADC_IR_NORMSHAPES_H
