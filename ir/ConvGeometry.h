//===- ir/ConvGeometry.h - Sizes of a 2-D convolution -----------*- C++ -*-===//
//
// The geometry of conv2d and its two backward convolutions: batch, channels,
// spatial sizes, kernel, stride, dilation, the padding before and after each
// spatial dim (padding="same" may pad one more after than before, as
// PyTorch does) and the output size. The shape rules (ir/Op.cpp) and the
// code templates (codegen/ConvEmitter) read the same struct, so the loop
// bounds are the ones the type checker accepted.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_CONVGEOMETRY_H
#define GRADC_IR_CONVGEOMETRY_H

#include "ir/Attr.h"
#include "ir/Types.h"

#include <vector>

namespace gradc {

/// Every size of one 2-D convolution of an [N, C, H, W] input with an
/// [O, C / groups, KH, KW] weight into an [N, O, OH, OW] result.
struct ConvGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;  ///< input
  int64_t o = 0, kh = 0, kw = 0;       ///< weight (in-channels: c / groups)
  int64_t groups = 1;
  int64_t sh = 1, sw = 1;              ///< stride
  int64_t dh = 1, dw = 1;              ///< dilation
  int64_t padTop = 0, padLeft = 0;     ///< padding before
  int64_t padBottom = 0, padRight = 0; ///< padding after
  int64_t oh = 0, ow = 0;              ///< output
  /// conv1d: [N, C, L] seen as [N, C, 1, L] (H = KH = OH = 1); the shapes
  /// below then have rank 3.
  bool oneD = false;

  /// Input channels per group.
  int64_t cg() const { return c / groups; }
  /// Output channels per group.
  int64_t og() const { return o / groups; }
  /// The input's height and width with the padding on both sides.
  int64_t paddedHeight() const { return h + padTop + padBottom; }
  int64_t paddedWidth() const { return w + padLeft + padRight; }
  /// Whether any side is padded.
  bool padded() const { return padTop || padBottom || padLeft || padRight; }
  Shape inputShape() const {
    return oneD ? Shape{n, c, w} : Shape{n, c, h, w};
  }
  Shape weightShape() const {
    return oneD ? Shape{o, c / groups, kw} : Shape{o, c / groups, kh, kw};
  }
  Shape outputShape() const {
    return oneD ? Shape{n, o, ow} : Shape{n, o, oh, ow};
  }
};

/// Computes the geometry from the input and weight shapes (rank 4: conv2d,
/// rank 3: conv1d) and the attributes (stride, padding, dilation, groups); throws gradc::Error
/// naming the problem (wrong rank, channels not divisible by groups, a
/// kernel larger than the padded input, ...).
ConvGeometry convGeometry(const Shape &input, const Shape &weight,
                          const AttrMap &attrs);

/// Puts the conv2d attributes in canonical form: stride and dilation as
/// [h, w] pairs, groups an integer, padding a [h, w] pair, or the string
/// "same" when "same" pads unevenly (an even kernel extent).
void canonicalConvAttrs(AttrMap &attrs, const ConvGeometry &g);

/// An int-or-pair attribute as a pair (PyTorch's _pair); `def` when absent.
std::vector<int64_t> pairAttr(const AttrMap &attrs, const std::string &key,
                              int64_t def);

/// Shape rules of conv1d, conv2d and their backward ops (the Infer column of
/// ir/Ops.def).
TensorType inferConv2d(const std::vector<TensorType> &in, AttrMap &attrs);
TensorType inferConv1d(const std::vector<TensorType> &in, AttrMap &attrs);
TensorType inferConv2dInputBackward(const std::vector<TensorType> &in,
                                    AttrMap &attrs);
TensorType inferConv2dWeightBackward(const std::vector<TensorType> &in,
                                     AttrMap &attrs);

} // namespace gradc

#endif // GRADC_IR_CONVGEOMETRY_H
