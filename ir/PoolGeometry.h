//===- ir/PoolGeometry.h - Sizes of 2-D pooling -----------------*- C++ -*-===//
//
// The geometry of max_pool2d, avg_pool2d, adaptive_avg_pool2d and their
// backward ops: PyTorch's output-size formula (with ceil_mode) and the
// window of each output element. The shape rules and the code templates
// (codegen/PoolEmitter) read the same struct.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_POOLGEOMETRY_H
#define GRADC_IR_POOLGEOMETRY_H

#include "ir/Attr.h"
#include "ir/Types.h"

#include <vector>

namespace gradc {

/// Pooling of an [N, C, H, W] input into [N, C, OH, OW].
struct PoolGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t kh = 1, kw = 1;   ///< kernel_size
  int64_t sh = 1, sw = 1;   ///< stride (default: kernel_size)
  int64_t ph = 0, pw = 0;   ///< padding (both sides)
  int64_t dh = 1, dw = 1;   ///< dilation (max_pool2d only)
  int64_t oh = 0, ow = 0;
  Shape inputShape() const { return {n, c, h, w}; }
  Shape outputShape() const { return {n, c, oh, ow}; }
};

/// max_pool2d / avg_pool2d geometry from the input shape and attributes
/// (kernel_size, stride, padding, dilation when `dilated`, ceil_mode), as
/// PyTorch's pooling_output_shape computes it; throws gradc::Error naming
/// what is wrong. `op` names the op in messages.
PoolGeometry poolGeometry(const Shape &input, const AttrMap &attrs,
                          bool dilated, const char *op);

/// adaptive_avg_pool2d geometry: output_size as an int or pair.
PoolGeometry adaptivePoolGeometry(const Shape &input, const AttrMap &attrs);

/// Shape rules (the Infer column of ir/Ops.def).
TensorType inferMaxPool2d(const std::vector<TensorType> &in, AttrMap &attrs);
TensorType inferAvgPool2d(const std::vector<TensorType> &in, AttrMap &attrs);
TensorType inferAdaptiveAvgPool2d(const std::vector<TensorType> &in,
                                  AttrMap &attrs);
TensorType inferMaxPool2dBackward(const std::vector<TensorType> &in,
                                  AttrMap &attrs);
TensorType inferAvgPool2dBackward(const std::vector<TensorType> &in,
                                  AttrMap &attrs);
TensorType inferAdaptiveAvgPool2dBackward(const std::vector<TensorType> &in,
                                          AttrMap &attrs);

} // namespace gradc

#endif // GRADC_IR_POOLGEOMETRY_H
