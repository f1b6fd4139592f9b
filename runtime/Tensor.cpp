//===- runtime/Tensor.cpp - Host tensors ----------------------------------===//
#include "runtime/Tensor.h"

#include "ir/Attr.h"
#include "ir/Error.h"
#include "ir/Limits.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace gradc {

void AlignedBuffer::Free::operator()(void *p) const { std::free(p); }

AlignedBuffer::AlignedBuffer(size_t bytes) : size_(bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  void *p = std::aligned_alloc(64, rounded);
  if (!p)
    throw Error("out of memory allocating " + std::to_string(bytes) + " bytes");
  std::memset(p, 0, rounded);
  ptr_.reset(p);
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  // Checked before allocating: overflow, rank and the memory cap.
  checkTensorBytes(type(), defaultMaxBytes(), "a tensor");
  buf_ = AlignedBuffer(static_cast<size_t>(*tensorBytesChecked(type())));
}

/// PyTorch refuses to store a value an integer dtype cannot hold ("value
/// cannot be converted to type int32 without overflow"); so does gradc,
/// instead of the undefined float-to-integer conversion.
template <typename I> static I toInteger(double v, DType dtype) {
  // 2^31 and 2^63 are exact doubles; the valid range is [-2^k, 2^k).
  const double limit = std::ldexp(1.0, 8 * static_cast<int>(sizeof(I)) - 1);
  if (!(v >= -limit && v < limit))
    throw Error("value " + formatDouble(v) + " cannot be converted to " +
                dtypeName(dtype) + " without overflow");
  return static_cast<I>(v);
}

Tensor Tensor::fromDoubles(DType dtype, Shape shape,
                           const std::vector<double> &values) {
  Tensor t(dtype, std::move(shape));
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw Error("expected " + std::to_string(t.numel()) + " values for shape " +
                shapeToString(t.shape()) + ", got " +
                std::to_string(values.size()));
  for (int64_t i = 0; i < t.numel(); ++i) t.set(i, values[i]);
  return t;
}

double Tensor::get(int64_t i) const {
  const void *p = data();
  switch (dtype_) {
  case DType::F32: return static_cast<const float *>(p)[i];
  case DType::F64: return static_cast<const double *>(p)[i];
  case DType::I32: return static_cast<const int32_t *>(p)[i];
  case DType::I64: return static_cast<double>(static_cast<const int64_t *>(p)[i]);
  case DType::Bool: return static_cast<const bool *>(p)[i] ? 1 : 0;
  }
  return 0;
}

void Tensor::set(int64_t i, double v) {
  void *p = data();
  switch (dtype_) {
  case DType::F32: static_cast<float *>(p)[i] = static_cast<float>(v); break;
  case DType::F64: static_cast<double *>(p)[i] = v; break;
  case DType::I32: static_cast<int32_t *>(p)[i] = toInteger<int32_t>(v, dtype_); break;
  case DType::I64: static_cast<int64_t *>(p)[i] = toInteger<int64_t>(v, dtype_); break;
  case DType::Bool: static_cast<bool *>(p)[i] = v != 0; break;
  }
}

std::vector<double> Tensor::toDoubles() const {
  std::vector<double> r(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) r[i] = get(i);
  return r;
}

void Tensor::fill(double v) {
  for (int64_t i = 0; i < numel(); ++i) set(i, v);
}

} // namespace gradc
