//===- codegen/ConvEmitter.h - Loop nests of convolutions -------*- C++ -*-===//
//
// The code templates of conv2d and its two backward convolutions
// (_conv2d_input_backward, _conv2d_weight_backward): direct loop nests
// whose innermost loop runs along an output row with the padding handled
// by computing, once per kernel tap, the range of output columns that read
// inside the input, so no element outside a buffer is ever touched and the
// inner loop has no branch; and, where it applies (nearly always), the
// im2col + GEMM form: column matrices built a tile of output rows at a time
// from padded copies of the tile's input rows, and BLAS GEMMs on them (in
// the forward convolution of small images, several images' columns side by
// side for one GEMM). The f32 forward convolution of small images with
// enough output channels runs the direct kernel of codegen/ConvDirect.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_CONVEMITTER_H
#define GRADC_CODEGEN_CONVEMITTER_H

#include "codegen/EmitUtil.h"
#include "ir/Graph.h"

#include <functional>
#include <string>

namespace gradc {

/// The statements computing `n` (conv2d or one of its backward ops) into
/// its buffer; `valueOf` tells how each operand and the result are read
/// and written.
/// Sets `callsBlas` when the code calls CBLAS (the im2col + GEMM form, used
/// when one tile's column matrix is within kConvHeapColumnBytes).
std::string convolutionCode(const Node *n,
                            const std::function<ValueRef(const Node *)> &valueOf,
                            bool &callsBlas);

/// The largest column matrix (one image, one group) the GEMM form keeps on
/// the stack; a larger one is allocated on the heap.
inline constexpr int64_t kConvColumnBytes = 128 * 1024;

/// The largest column matrix the GEMM form allocates (per thread); larger
/// convolutions, and those with a splat operand, use the direct loop nests.
inline constexpr int64_t kConvHeapColumnBytes = 64 * 1024 * 1024;

/// The GEMM form builds the column matrix a tile of whole output rows at a
/// time, the tile's matrix within this bound (one output row at least), so
/// it stays in the core's L2 cache between im2col and the GEMM.
inline constexpr int64_t kConvTileBytes = 512 * 1024;

} // namespace gradc

#endif // GRADC_CODEGEN_CONVEMITTER_H
