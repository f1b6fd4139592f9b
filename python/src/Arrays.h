//===- python/src/Arrays.h - NumPy arrays as gradc tensors -----*- C++ -*-===//
//
// The bridge between NumPy arrays and the buffers of generated code. An
// array that already has the declared dtype, shape and a C-contiguous,
// aligned layout is passed to generated code as is (no copy); anything
// else is converted once when that is lossless in kind (a float64 array
// for an f32 input, a list, a strided view) and refused with a message
// naming the tensor otherwise (a float array for an integer input, a
// wrong shape).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PYTHON_ARRAYS_H
#define GRADC_PYTHON_ARRAYS_H

#include "ir/Types.h"
#include "runtime/Tensor.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

namespace gradc::python {

namespace py = pybind11;

/// The NumPy dtype of a gradc dtype (f32 -> float32, bool -> bool_, ...).
py::dtype numpyDType(DType t);

/// A new, uninitialized C-contiguous array of `type` (np.empty).
py::array emptyArray(const TensorType &type);

/// A new array holding a copy of `t`.
py::array arrayFromTensor(const Tensor &t);

/// `value` as an array of exactly `type`, C-contiguous and aligned: the
/// object itself when it already is one (zero copy), else a converted copy.
/// `what` names the tensor in messages ("input 'x'", "the seed of 'z'").
/// Throws gradc::Error for a wrong shape or a conversion that changes the
/// kind of number (float to int, anything to bool but bool).
py::array asTensorArray(py::handle value, const TensorType &type,
                        const std::string &what);

/// Copies `value` (converted as by asTensorArray) into `dst`, an array of
/// `type` owned by the caller.
void copyInto(py::array &dst, py::handle value, const TensorType &type,
              const std::string &what);

} // namespace gradc::python

#endif // GRADC_PYTHON_ARRAYS_H
