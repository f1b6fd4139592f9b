//===- runtime/TorchFormat.h - PyTorch-style tensor printing ---*- C++ -*-===//
//
// Renders a tensor exactly the way PyTorch 1.13 prints `repr(torch.Tensor)`,
// for `gradc run --format torch`:
//
//   tensor([[1., 1.],
//           [1., 1.]], requires_grad=True)
//   tensor(27., grad_fn=<MeanBackward0>)
//
// The rules (integer mode, fixed and scientific notation, padding to the
// widest element, line wrapping at `linewidth`, summarization with "...",
// dtype / size suffixes) are those of torch/_tensor_str.py for dense CPU
// tensors with PyTorch's default dtype float32 and `sci_mode=None`.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_TORCHFORMAT_H
#define GRADC_RUNTIME_TORCHFORMAT_H

#include "ir/Types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gradc {

/// The subset of `torch.set_printoptions` that gradc honours; the defaults
/// are PyTorch's (`profile="default"`).
struct TorchPrintOptions {
  /// Digits after the decimal point in fixed and scientific notation.
  int precision = 4;
  /// Characters per line used to wrap long rows and to place suffixes.
  int linewidth = 80;
  /// Tensors with more elements than this are summarized with "...".
  int64_t threshold = 1000;
  /// Items kept at the start and the end of each summarized dimension;
  /// must be >= 1.
  int edgeitems = 3;
};

/// Formats a tensor like PyTorch's repr. `values` holds the elements in
/// row-major order converted to double (exact for f32/i32; for i64 values
/// beyond 2^53 use formatTorchTensorInt64). For f32 each value is rounded
/// to float first, so passing an unrounded double (6.3) prints like the
/// float32 PyTorch would hold. `suffixes` are extra "key=value" items printed
/// after the data, e.g. {"requires_grad=True"} or {"grad_fn=<MeanBackward0>"};
/// the dtype suffix (and the size suffix of an empty tensor) is added
/// automatically where PyTorch adds it, before the other suffixes, in
/// PyTorch's order. Throws std::invalid_argument when `values.size()` does
/// not match `shape`, a dimension is negative, or `opts.edgeitems < 1`.
std::string formatTorchTensor(const std::vector<double> &values,
                              const Shape &shape, DType dtype,
                              const std::vector<std::string> &suffixes = {},
                              const TorchPrintOptions &opts = {});

/// formatTorchTensor for an int64 tensor, from its exact values: every
/// digit of values beyond 2^53 is printed (through double they would be
/// rounded).
std::string formatTorchTensorInt64(const std::vector<int64_t> &values,
                                   const Shape &shape,
                                   const std::vector<std::string> &suffixes = {},
                                   const TorchPrintOptions &opts = {});

/// PyTorch's spelling of a dtype: "torch.float32", "torch.float64",
/// "torch.int32", "torch.int64" or "torch.bool".
const char *torchDTypeName(DType dtype);

} // namespace gradc

#endif // GRADC_RUNTIME_TORCHFORMAT_H
