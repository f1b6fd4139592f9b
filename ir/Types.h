//===- ir/Types.h - Element types and tensor shapes ------------*- C++ -*-===//
//
// The value types of the gradc IR: an element dtype and a static shape.
// Every tensor in a graph has a fully static shape; a scalar has rank 0.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_TYPES_H
#define GRADC_IR_TYPES_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gradc {

/// Element type of a tensor. `Bool` is produced by comparisons only.
enum class DType { F32, F64, I32, I64, Bool };

/// The spelling used in JSON, the DSL and the IR text: "f32", "f64", ...
const char *dtypeName(DType t);
/// Parses a dtype spelling; std::nullopt when it is not one.
std::optional<DType> parseDType(const std::string &s);
/// Size of one element in bytes.
int64_t dtypeSize(DType t);
/// True for f32 and f64: the only dtypes that can carry gradients.
bool isFloat(DType t);
/// The C++ scalar type generated code uses for this dtype.
const char *dtypeCppName(DType t);

/// A static tensor shape: the extent of each dimension, outermost first.
using Shape = std::vector<int64_t>;

/// Number of elements of a shape (1 for a scalar). Callers check
/// `numElementsChecked` first for shapes that come from users.
int64_t numElements(const Shape &s);
/// Number of elements, or std::nullopt if it overflows int64_t.
std::optional<int64_t> numElementsChecked(const Shape &s);
/// Row-major strides of a shape, in elements.
std::vector<int64_t> rowMajorStrides(const Shape &s);
/// Renders a shape as "[2, 2]" (JSON style) .
std::string shapeToString(const Shape &s);

/// Broadcasts two shapes by NumPy/PyTorch rules (align trailing dims; a
/// dim of 1 stretches). std::nullopt when they are incompatible.
std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b);

/// The type of a tensor value: element dtype plus static shape.
struct TensorType {
  DType dtype = DType::F32;
  Shape shape;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const { return numElements(shape); }
  int64_t bytes() const { return numel() * dtypeSize(dtype); }
  bool operator==(const TensorType &o) const {
    return dtype == o.dtype && shape == o.shape;
  }
  bool operator!=(const TensorType &o) const { return !(*this == o); }
  /// IR spelling: "f32[2,2]", "f64[]".
  std::string str() const;
};

} // namespace gradc

#endif // GRADC_IR_TYPES_H
