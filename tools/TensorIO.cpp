//===- tools/TensorIO.cpp - Tensors in and out of JSON files --------------===//
#include "tools/TensorIO.h"

#include "frontend/JsonText.h"
#include "ir/Error.h"

#include <charconv>
#include <cmath>

namespace gradc {

namespace {

using json = nlohmann::json;

/// Shape of a rectangular nested array; flattens its numbers into `out`.
/// Iterative over the nesting levels (depth is bounded by parseJsonText).
Shape nestedShape(const json &j, std::vector<double> &out,
                  const std::string &where) {
  Shape shape;
  const json *cur = &j;
  while (cur->is_array()) {
    shape.push_back(static_cast<int64_t>(cur->size()));
    if (cur->empty()) break;
    cur = &(*cur)[0];
  }
  // Walk every element, checking each level has the expected length.
  std::vector<std::pair<const json *, size_t>> stack{{&j, 0}};
  while (!stack.empty()) {
    auto &[node, idx] = stack.back();
    size_t level = stack.size() - 1;
    if (!node->is_array()) {
      if (level != shape.size())
        throw Error(where + ": ragged nested array");
      if (!node->is_number() && !node->is_boolean())
        throw Error(where + ": expected numbers, found " +
                    std::string(node->type_name()));
      out.push_back(node->is_boolean() ? (node->get<bool>() ? 1 : 0)
                                       : node->get<double>());
      stack.pop_back();
      continue;
    }
    if (level >= shape.size() ||
        static_cast<int64_t>(node->size()) != shape[level])
      throw Error(where + ": ragged nested array (a row of length " +
                  std::to_string(node->size()) + " where " +
                  (level < shape.size() ? std::to_string(shape[level])
                                        : std::string("a number")) +
                  " was expected)");
    if (idx == node->size()) {
      stack.pop_back();
      continue;
    }
    const json *child = &(*node)[idx++];
    stack.push_back({child, 0});
  }
  return shape;
}

Tensor readOne(const json &v, const TensorType &want, const std::string &where) {
  std::vector<double> data;
  Shape shape;
  if (v.is_object()) {
    for (const auto &kv : v.items())
      if (kv.key() != "shape" && kv.key() != "data")
        throw Error(where + ": unknown key '" + kv.key() +
                    "' (expected \"shape\" and \"data\")");
    if (!v.contains("shape") || !v.contains("data"))
      throw Error(where + ": an object value needs \"shape\" and \"data\"");
    for (const json &d : v["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        throw Error(where + ".shape: expected non-negative integers");
      shape.push_back(d.get<int64_t>());
    }
    if (!v["data"].is_array()) throw Error(where + ".data: expected a list");
    for (const json &d : v["data"]) {
      if (!d.is_number() && !d.is_boolean())
        throw Error(where + ".data: expected numbers");
      data.push_back(d.is_boolean() ? (d.get<bool>() ? 1 : 0) : d.get<double>());
    }
  } else if (v.is_number() || v.is_boolean() || v.is_array()) {
    shape = nestedShape(v, data, where);
  } else {
    throw Error(where + ": expected a number, a nested list or "
                        "{\"shape\": ..., \"data\": ...}");
  }
  if (shape != want.shape)
    throw Error(where + ": shape " + shapeToString(shape) + " does not match " +
                "the declared " + shapeToString(want.shape));
  if (static_cast<int64_t>(data.size()) != numElements(shape))
    throw Error(where + ": " + std::to_string(data.size()) +
                " values for shape " + shapeToString(shape));
  return Tensor::fromDoubles(want.dtype, want.shape, data);
}

} // namespace

std::map<std::string, Tensor>
readTensorFile(const std::string &path,
               const std::map<std::string, TensorType> &types,
               const std::string &what) {
  json j = parseJsonText(readTextFile(path), path);
  if (!j.is_object())
    throw Error(path + ": expected an object mapping " + what + " names to "
                "values");
  std::map<std::string, Tensor> r;
  for (const auto &kv : j.items()) {
    auto it = types.find(kv.key());
    if (it == types.end()) {
      std::string known;
      for (const auto &t : types) known += (known.empty() ? "" : ", ") + t.first;
      throw Error(path + ": '" + kv.key() + "' is not a" +
                  (what == "input" ? "n " : " ") + what + " of the graph" +
                  (known.empty() ? "" : " (" + what + "s: " + known + ")"));
    }
    try {
      r.emplace(kv.key(), readOne(kv.value(), it->second,
                                  path + ": " + what + " '" + kv.key() + "'"));
    } catch (const nlohmann::json::exception &e) {
      throw Error(path + ": " + what + " '" + kv.key() + "': " + e.what());
    }
  }
  return r;
}

std::string jsonNumber(double v, DType dtype) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  char buf[64];
  std::to_chars_result res;
  switch (dtype) {
  case DType::F32:
    res = std::to_chars(buf, buf + sizeof buf, static_cast<float>(v));
    break;
  case DType::F64:
    res = std::to_chars(buf, buf + sizeof buf, v);
    break;
  case DType::Bool:
    return v != 0 ? "true" : "false";
  default:
    return std::to_string(static_cast<long long>(v));
  }
  return std::string(buf, res.ptr);
}

std::string tensorToJson(const Tensor &t) {
  std::string s = "{\"shape\": [";
  for (size_t i = 0; i < t.shape().size(); ++i)
    s += (i ? ", " : "") + std::to_string(t.shape()[i]);
  s += "], \"data\": [";
  for (int64_t i = 0; i < t.numel(); ++i)
    s += (i ? ", " : "") + jsonNumber(t.get(i), t.dtype());
  return s + "]}";
}

std::string jsonString(const std::string &s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace gradc
