//===- codegen/ConvDirect.h - Register-blocked forward convolution -*- C++ -*-===//
//
// The forward convolution of small f32 images as a direct kernel, with no
// column matrix: output channels run along the lanes of a 16-wide vector,
// a row segment of output columns is held in vector accumulators, and each
// kernel tap adds its weight vector times one input element per column,
// read straight from the NCHW input (or a padded copy of the image). This
// is the scheme of oneDNN's direct convolutions, kept on NCHW tensors: the
// weights are reordered once per call into [O/16][C][KH][KW][16], and each
// segment's accumulators are transposed into the output rows.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_CONVDIRECT_H
#define GRADC_CODEGEN_CONVDIRECT_H

#include "codegen/EmitUtil.h"
#include "ir/ConvGeometry.h"
#include "ir/Graph.h"

#include <functional>
#include <string>

namespace gradc {

/// Output channels per vector of the direct kernel.
inline constexpr int64_t kDirectLanes = 16;

/// The most output columns one segment keeps in accumulators: 12 vectors
/// of 16 floats, plus the weight vector, fit AVX-512's 32 registers with
/// room to spare (on AVX2 a vector is two registers and some spill).
inline constexpr int64_t kDirectColumns = 12;

/// Whether the forward convolution `n` (geometry `g`) runs as the direct
/// kernel: f32, one group, operands in memory, images of at most 512
/// output elements per channel (larger ones keep im2col + GEMM, which is
/// within 1.2x of oneDNN there), and output channels filling at least
/// three quarters of the vectors they take.
bool directForwardApplies(const Node *n, const ConvGeometry &g,
                          const std::function<ValueRef(const Node *)> &valueOf);

/// The statements computing the forward convolution `n` into its buffer
/// with the direct kernel, parallel over the images of the batch. Every
/// output element is the bias plus the taps added in (c, kh, kw) order, so
/// the bits do not depend on the thread count.
std::string directForwardCode(const Node *n, const ConvGeometry &g,
                              const std::function<ValueRef(const Node *)> &valueOf);

} // namespace gradc

#endif // GRADC_CODEGEN_CONVDIRECT_H
