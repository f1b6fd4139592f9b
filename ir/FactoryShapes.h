//===- ir/FactoryShapes.h - Shape rules of tensor factories ----*- C++ -*-===//
//
// arange, full, zeros_like, ones_like: values made from attributes (and,
// for the *_like ops, an operand's type), with PyTorch's dtype inference
// (integers give i64, a float gives f32, a bool gives bool; a `dtype`
// attribute, "f32" "f64" "i32" "i64" or "bool", overrides it). They have
// no gradient, as PyTorch's factories make tensors that do not require
// grad.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_FACTORYSHAPES_H
#define GRADC_IR_FACTORYSHAPES_H

#include "ir/Attr.h"
#include "ir/Types.h"

#include <vector>

namespace gradc {

/// arange() {start = 0, end (required), step = 1, dtype}: the values
/// start + i * step below end (above it for a negative step), 1-D.
TensorType inferArange(const std::vector<TensorType> &in, AttrMap &attrs);
/// full() {size (required), fill_value (required), dtype}.
TensorType inferFull(const std::vector<TensorType> &in, AttrMap &attrs);
/// zeros_like(input) and ones_like(input) {dtype}: input's shape.
TensorType inferFillLike(const std::vector<TensorType> &in, AttrMap &attrs);

} // namespace gradc

#endif // GRADC_IR_FACTORYSHAPES_H
