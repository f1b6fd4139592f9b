//===- ir/IndexShapes.h - Shape rules of indexing ops ----------*- C++ -*-===//
//
// embedding, index_select, gather, select, one_hot and their internal
// backward ops. Index operands hold integers (i32 or i64); whether their
// values are in range is known only when the graph runs, so the generated
// code checks them and returns a status (codegen/IndexCheck.h). A static
// index (select's `index`) is checked here.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_INDEXSHAPES_H
#define GRADC_IR_INDEXSHAPES_H

#include "ir/Attr.h"
#include "ir/Types.h"

#include <vector>

namespace gradc {

/// embedding(input, weight) {padding_idx}: weight [num_embeddings, D],
/// integer input of any shape; the result is input.shape + [D]. A negative
/// padding_idx counts from the end and is stored non-negative.
TensorType inferEmbedding(const std::vector<TensorType> &in, AttrMap &attrs);
/// index_select(input, index) {dim}: index 1-D (or a scalar); the result is
/// input with dim's size replaced by the index count.
TensorType inferIndexSelect(const std::vector<TensorType> &in, AttrMap &attrs);
/// _index_select_backward(g, index) {dim, input_size, padding_idx}: the
/// zeros of input_size with g's slices along dim added at their index (the
/// gradient of index_select, and of embedding as dim 0 of the flattened
/// index); rows equal to padding_idx, if given, get nothing.
TensorType inferIndexSelectBackward(const std::vector<TensorType> &in,
                                    AttrMap &attrs);
/// gather(input, index) {dim}: index of input's rank, no larger than input
/// in any dim but dim; the result has index's shape.
TensorType inferGather(const std::vector<TensorType> &in, AttrMap &attrs);
/// _gather_backward(g, index) {dim, input_size}: scatter-add of g.
TensorType inferGatherBackward(const std::vector<TensorType> &in,
                               AttrMap &attrs);
/// select(input) {dim, index}: the slice at `index` of dim (negative counts
/// from the end, as in Python), with dim removed.
TensorType inferSelect(const std::vector<TensorType> &in, AttrMap &attrs);
/// one_hot(input) {num_classes}: i64 input.shape + [num_classes].
TensorType inferOneHot(const std::vector<TensorType> &in, AttrMap &attrs);

} // namespace gradc

#endif // GRADC_IR_INDEXSHAPES_H
