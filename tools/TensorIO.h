//===- tools/TensorIO.h - Tensors in and out of JSON files -----*- C++ -*-===//
#ifndef GRADC_TOOLS_TENSORIO_H
#define GRADC_TOOLS_TENSORIO_H

#include "runtime/Tensor.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <memory>
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

/// One inputs, seeds or tangents file (format as for readTensorFile),
/// parsed the first time it is asked for anything and then kept: the shapes
/// of its values bind a graph's size variables before the graph is built,
/// and its tensors are read once the graph's types are known, from the one
/// parse.
class TensorFile {
public:
  /// `what` ("input", "seed") words the messages; a file larger than
  /// `maxBytes` is refused before it is parsed.
  TensorFile(std::string path, std::string what, uint64_t maxBytes);

  /// The shape of each value, unchecked against any graph. Throws
  /// gradc::Error naming the file and the value for one that is malformed.
  std::map<std::string, Shape> shapes() const;

  /// The values as tensors of `types`, checked as readTensorFile says.
  std::map<std::string, Tensor>
  tensors(const std::map<std::string, TensorType> &types) const;

private:
  const nlohmann::json &parsed() const;
  std::string where(const std::string &name) const;

  std::string path_, what_;
  uint64_t maxBytes_;
  mutable std::shared_ptr<nlohmann::json> json_;
};

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
