//===- ir/LayoutShapes.h - Shape rules of layout ops -----------*- C++ -*-===//
//
// reshape, expand, transpose, permute, squeeze, unsqueeze and slice: ops
// that move or select elements without computing. Each rule checks its
// attributes, stores them in canonical form (negative dims normalized, -1
// resolved, slice bounds clamped as Python does) so that later stages read
// one spelling, and returns the result type.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_LAYOUTSHAPES_H
#define GRADC_IR_LAYOUTSHAPES_H

#include "ir/Attr.h"
#include "ir/Types.h"

#include <vector>

namespace gradc {

/// reshape(x) {shape}: at most one -1, inferred from the element count,
/// which must be unchanged; `shape` is stored with -1 resolved.
TensorType inferReshape(const std::vector<TensorType> &in, AttrMap &attrs);
/// expand(x) {shape}: broadcasts dims of size 1 (and adds leading dims);
/// -1 keeps a dim and is stored resolved.
TensorType inferExpand(const std::vector<TensorType> &in, AttrMap &attrs);
/// transpose(x) {dim0, dim1}: swaps two dims (default 0 and 1).
TensorType inferTranspose(const std::vector<TensorType> &in, AttrMap &attrs);
/// permute(x) {dims}: a permutation of all dims.
TensorType inferPermute(const std::vector<TensorType> &in, AttrMap &attrs);
/// squeeze(x) {dim}: removes the given dims that have size 1 (every dim of
/// size 1 without `dim`); a given dim of another size stays, as in PyTorch.
TensorType inferSqueeze(const std::vector<TensorType> &in, AttrMap &attrs);
/// unsqueeze(x) {dim}: inserts a dim of size 1 at `dim` (in [-r-1, r]).
TensorType inferUnsqueeze(const std::vector<TensorType> &in, AttrMap &attrs);
/// slice(x) {dim, start, end, step}: Python slicing along one dim with a
/// positive step; the bounds are stored clamped.
TensorType inferSlice(const std::vector<TensorType> &in, AttrMap &attrs);

} // namespace gradc

#endif // GRADC_IR_LAYOUTSHAPES_H
