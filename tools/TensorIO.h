//===- tools/TensorIO.h - Tensors in and out of JSON files -----*- C++ -*-===//
#ifndef GRADC_TOOLS_TENSORIO_H
#define GRADC_TOOLS_TENSORIO_H

#include "runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <string>

namespace gradc {

/// Reads an inputs or seeds file: a JSON object mapping names to nested
/// arrays, numbers (scalars) or {"shape": [...], "data": [...flat...]}.
/// Every name must be a key of `types` and match its shape exactly; `what`
/// ("input", "seed") words the messages. Integers are stored exactly (all
/// 64 bits); NaN, Infinity and -Infinity are accepted as numbers; a value
/// its dtype cannot hold is an error naming the file, the name and the
/// element. A file larger than `maxBytes` is refused before it is parsed.
std::map<std::string, Tensor>
readTensorFile(const std::string &path,
               const std::map<std::string, TensorType> &types,
               const std::string &what, uint64_t maxBytes = UINT64_MAX);

/// The shape of each value in a tensor file (format as for readTensorFile),
/// without checking it against a graph: what binds a graph's size
/// variables. Values whose shape cannot be read are left out
/// (readTensorFile reports them).
std::map<std::string, Shape> readTensorShapes(const std::string &path,
                                              const std::string &what,
                                              uint64_t maxBytes);

/// A number as JSON text: the shortest form that reads back as the same
/// value of `dtype`; NaN and infinities as NaN, Infinity, -Infinity (as
/// Python's json module reads and writes them).
std::string jsonNumber(double v, DType dtype);

/// {"shape": [...], "data": [...]} for a tensor.
std::string tensorToJson(const Tensor &t);

/// A JSON string literal for `s` (escaped).
std::string jsonString(const std::string &s);

} // namespace gradc

#endif // GRADC_TOOLS_TENSORIO_H
