//===- runtime/Tensor.h - Host tensors -------------------------*- C++ -*-===//
//
// A dense row-major tensor in host memory, 64-byte aligned, used by the
// host API to hold inputs, outputs, gradients and seeds.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_TENSOR_H
#define GRADC_RUNTIME_TENSOR_H

#include "ir/Types.h"

#include <cstddef>
#include <memory>
#include <vector>

namespace gradc {

/// 64-byte aligned, zero-initialized bytes (aligned for AVX-512 loads).
class AlignedBuffer {
public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes);
  void *data() { return ptr_.get(); }
  const void *data() const { return ptr_.get(); }
  size_t size() const { return size_; }

private:
  struct Free {
    void operator()(void *p) const;
  };
  std::unique_ptr<void, Free> ptr_;
  size_t size_ = 0;
};

/// A host tensor: dtype, static shape, owned aligned storage.
class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor. Throws gradc::Error if the size overflows.
  Tensor(DType dtype, Shape shape);
  /// A tensor holding `values` converted to `dtype` (row-major).
  static Tensor fromDoubles(DType dtype, Shape shape,
                            const std::vector<double> &values);

  DType dtype() const { return dtype_; }
  const Shape &shape() const { return shape_; }
  TensorType type() const { return {dtype_, shape_}; }
  int64_t numel() const { return numElements(shape_); }
  void *data() { return buf_.data(); }
  const void *data() const { return buf_.data(); }

  /// Element i converted to double.
  double get(int64_t i) const;
  /// Sets element i from a double (converted to the dtype).
  void set(int64_t i, double v);
  /// All elements as doubles.
  std::vector<double> toDoubles() const;
  /// Sets every element to `v`.
  void fill(double v);

private:
  DType dtype_ = DType::F32;
  Shape shape_;
  AlignedBuffer buf_;
};

} // namespace gradc

#endif // GRADC_RUNTIME_TENSOR_H
