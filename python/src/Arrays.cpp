//===- python/src/Arrays.cpp - NumPy arrays as gradc tensors --------------===//
#include "python/src/Arrays.h"

#include "ir/Error.h"

#include <cstring>

namespace gradc::python {

py::dtype numpyDType(DType t) {
  switch (t) {
  case DType::F32: return py::dtype::of<float>();
  case DType::F64: return py::dtype::of<double>();
  case DType::I32: return py::dtype::of<int32_t>();
  case DType::I64: return py::dtype::of<int64_t>();
  case DType::Bool: return py::dtype::of<bool>();
  }
  throw Error("internal error: unknown dtype");
}

py::array emptyArray(const TensorType &type) {
  std::vector<py::ssize_t> shape(type.shape.begin(), type.shape.end());
  return py::array(numpyDType(type.dtype), shape);
}

py::array arrayFromTensor(const Tensor &t) {
  py::array a = emptyArray(t.type());
  if (a.nbytes() > 0) std::memcpy(a.mutable_data(), t.data(), a.nbytes());
  return a;
}

namespace {

/// True if `d` is exactly gradc's dtype `t` in native byte order (a
/// big-endian '>f4' has the kind and size of f32 but not its bytes).
bool matchesDType(const py::dtype &d, DType t) {
  if (py::detail::array_descriptor_proxy(d.ptr())->byteorder == '>') return false;
  char k = d.kind();
  py::ssize_t n = d.itemsize();
  switch (t) {
  case DType::F32: return k == 'f' && n == 4;
  case DType::F64: return k == 'f' && n == 8;
  case DType::I32: return k == 'i' && n == 4;
  case DType::I64: return k == 'i' && n == 8;
  case DType::Bool: return k == 'b';
  }
  return false;
}

/// True if the array's shape is exactly `shape`.
bool sameShape(const py::array &a, const Shape &shape) {
  if (a.ndim() != static_cast<py::ssize_t>(shape.size())) return false;
  for (size_t i = 0; i < shape.size(); ++i)
    if (a.shape(i) != shape[i]) return false;
  return true;
}

std::string shapeOf(const py::array &a) {
  std::string s = "[";
  for (py::ssize_t i = 0; i < a.ndim(); ++i)
    s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + "]";
}

constexpr int kDirectFlags =
    py::array::c_style | py::detail::npy_api::NPY_ARRAY_ALIGNED_;

} // namespace

py::array asTensorArray(py::handle value, const TensorType &type,
                        const std::string &what) {
  // The common case first, with no calls into NumPy: the caller's array
  // is used in place.
  if (py::isinstance<py::array>(value)) {
    auto a = py::reinterpret_borrow<py::array>(value);
    if (matchesDType(a.dtype(), type.dtype) && sameShape(a, type.shape) &&
        (a.flags() & kDirectFlags) == kDirectFlags)
      return a;
  }
  if (value.is_none())
    throw Error(what + " is None; it expects " + type.str());
  py::module_ np = py::module_::import("numpy");
  py::object arr;
  try {
    arr = np.attr("asarray")(value);
  } catch (py::error_already_set &e) {
    throw Error(what + ": cannot be read as an array (" +
                std::string(e.what()) + ")");
  }
  auto a = py::reinterpret_borrow<py::array>(arr);
  if (!py::isinstance<py::array>(arr))
    throw Error(what + ": cannot be read as an array");
  py::dtype want = numpyDType(type.dtype);
  py::dtype have = a.dtype();
  // 'same_kind' allows float64 -> float32 (what a Python float literal or
  // NumPy's default dtype gives) and int -> float, but refuses float -> int
  // and number -> bool: those would silently change values.
  bool castOk = np.attr("can_cast")(have, want, "same_kind").cast<bool>();
  if (have.kind() == 'O' || have.kind() == 'U' || have.kind() == 'S' ||
      !castOk)
    throw Error(what + " expects " + type.str() + ", got an array of dtype " +
                py::str(have).cast<std::string>() +
                " (convert it with .astype() first)");
  if (!sameShape(a, type.shape))
    throw Error(what + " expects shape " + shapeToString(type.shape) +
                ", got " + shapeOf(a));
  // np.array (not ascontiguousarray, which turns a 0-d array into 1-d).
  py::object c = np.attr("array")(a, want, py::arg("order") = "C");
  return py::reinterpret_borrow<py::array>(c);
}

void copyInto(py::array &dst, py::handle value, const TensorType &type,
              const std::string &what) {
  py::array src = asTensorArray(value, type, what);
  if (dst.nbytes() > 0) std::memcpy(dst.mutable_data(), src.data(), dst.nbytes());
}

} // namespace gradc::python
