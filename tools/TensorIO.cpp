//===- tools/TensorIO.cpp - Tensors in and out of JSON files --------------===//
#include "tools/TensorIO.h"

#include "frontend/JsonText.h"
#include "ir/Attr.h"
#include "ir/Error.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace gradc {

namespace {

using json = nlohmann::json;

/// Shape of a rectangular nested array; collects its elements into `out`.
/// Iterative over the nesting levels (depth is bounded by parseJsonText).
Shape nestedShape(const json &j, std::vector<const json *> &out,
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
      out.push_back(node);
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

/// "[i][j]" for flat element `flat` of `shape` (row-major).
std::string elementIndex(int64_t flat, const Shape &shape) {
  std::string r;
  for (size_t d = shape.size(); d-- > 0;) {
    int64_t n = shape[d] > 0 ? shape[d] : 1;
    r = "[" + std::to_string(flat % n) + "]" + r;
    flat /= n;
  }
  return r;
}

/// Writes JSON value `e` into element `i` of `t`, exactly: integers go to
/// integer dtypes without passing through double (which holds only 53
/// bits), and anything a dtype cannot hold is an error (as PyTorch
/// refuses "value cannot be converted to type int32 without overflow").
/// `where` names the file, the input and the element.
void storeElement(Tensor &t, int64_t i, const json &e, const std::string &where) {
  if (!e.is_number() && !e.is_boolean())
    throw Error(where + ": expected a number, found " +
                std::string(e.type_name()));
  DType dt = t.dtype();
  if (dt == DType::I32 || dt == DType::I64) {
    int64_t v;
    if (e.is_boolean()) {
      v = e.get<bool>() ? 1 : 0;
    } else if (e.is_number_unsigned()) {
      uint64_t u = e.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw Error(where + ": " + std::to_string(u) + " does not fit in " +
                    dtypeName(dt));
      v = static_cast<int64_t>(u);
    } else if (e.is_number_integer()) {
      v = e.get<int64_t>();
    } else {
      // A float for an integer dtype: truncated toward zero like PyTorch's
      // conversion, if it is finite and in range.
      double d = e.get<double>();
      const double limit = std::ldexp(1.0, 63);
      if (!(d >= -limit && d < limit))
        throw Error(where + ": " + formatDouble(d) + " does not fit in " +
                    dtypeName(dt));
      v = static_cast<int64_t>(d);
    }
    if (dt == DType::I32) {
      if (v < std::numeric_limits<int32_t>::min() ||
          v > std::numeric_limits<int32_t>::max())
        throw Error(where + ": " + std::to_string(v) + " does not fit in i32");
      static_cast<int32_t *>(t.data())[i] = static_cast<int32_t>(v);
    } else {
      static_cast<int64_t *>(t.data())[i] = v;
    }
    return;
  }
  t.set(i, e.is_boolean() ? (e.get<bool>() ? 1 : 0) : e.get<double>());
}

/// The shape of one value of a tensor file and its elements in row-major
/// order; `flat` is set for the {"shape", "data"} form (whose elements are
/// named by their flat index). Throws gradc::Error naming `where`.
Shape valueShape(const json &v, const std::string &where,
                 std::vector<const json *> &data, bool &flat) {
  flat = false;
  if (v.is_object()) {
    for (const auto &kv : v.items())
      if (kv.key() != "shape" && kv.key() != "data")
        throw Error(where + ": unknown key '" + kv.key() +
                    "' (expected \"shape\" and \"data\")");
    if (!v.contains("shape") || !v.contains("data"))
      throw Error(where + ": an object value needs \"shape\" and \"data\"");
    if (!v["shape"].is_array()) throw Error(where + ".shape: expected a list");
    Shape shape;
    for (const json &d : v["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        throw Error(where + ".shape: expected non-negative integers");
      shape.push_back(d.get<int64_t>());
    }
    if (!v["data"].is_array()) throw Error(where + ".data: expected a list");
    for (const json &d : v["data"]) data.push_back(&d);
    flat = true;
    return shape;
  }
  if (v.is_number() || v.is_boolean() || v.is_array())
    return nestedShape(v, data, where);
  throw Error(where + ": expected a number, a nested list or "
                      "{\"shape\": ..., \"data\": ...}");
}

Tensor readOne(const json &v, const TensorType &want, const std::string &where) {
  std::vector<const json *> data;
  bool flat = false;
  Shape shape = valueShape(v, where, data, flat);
  std::string dataWhere = flat ? where + ".data" : where;
  if (shape != want.shape)
    throw Error(where + ": shape " + shapeToString(shape) + " does not match " +
                "the declared " + shapeToString(want.shape));
  if (static_cast<int64_t>(data.size()) != numElements(shape))
    throw Error(where + ": " + std::to_string(data.size()) +
                " values for shape " + shapeToString(shape));
  Tensor t(want.dtype, want.shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    storeElement(t, i, *data[i],
                 dataWhere + (flat ? "[" + std::to_string(i) + "]"
                                   : elementIndex(i, shape)));
  return t;
}

} // namespace

TensorFile::TensorFile(std::string path, std::string what, uint64_t maxBytes)
    : path_(std::move(path)), what_(std::move(what)), maxBytes_(maxBytes) {}

const nlohmann::json &TensorFile::parsed() const {
  if (!json_) {
    json_ = std::make_shared<json>(parseJsonText(
        readTextFile(path_, maxBytes_, "the " + what_ + "s file"), path_,
        /*nonFiniteNumbers=*/true));
    if (!json_->is_object())
      throw Error(path_ + ": expected an object mapping " + what_ +
                  " names to values");
  }
  return *json_;
}

std::map<std::string, Shape> TensorFile::shapes() const {
  std::map<std::string, Shape> r;
  for (const auto &kv : parsed().items()) {
    std::vector<const json *> data;
    bool flat = false;
    r.emplace(kv.key(), valueShape(kv.value(), where(kv.key()), data, flat));
  }
  return r;
}

std::map<std::string, Tensor>
TensorFile::tensors(const std::map<std::string, TensorType> &types) const {
  std::map<std::string, Tensor> r;
  for (const auto &kv : parsed().items()) {
    auto it = types.find(kv.key());
    if (it == types.end()) {
      std::string known;
      for (const auto &t : types) known += (known.empty() ? "" : ", ") + t.first;
      throw Error(path_ + ": '" + kv.key() + "' is not a" +
                  (what_ == "input" ? "n " : " ") + what_ + " of the graph" +
                  (known.empty() ? "" : " (" + what_ + "s: " + known + ")"));
    }
    try {
      r.emplace(kv.key(), readOne(kv.value(), it->second, where(kv.key())));
    } catch (const nlohmann::json::exception &e) {
      throw Error(where(kv.key()) + ": " + e.what());
    }
  }
  return r;
}

std::string TensorFile::where(const std::string &name) const {
  return path_ + ": " + what_ + " '" + name + "'";
}

std::map<std::string, Tensor>
readTensorFile(const std::string &path,
               const std::map<std::string, TensorType> &types,
               const std::string &what, uint64_t maxBytes) {
  return TensorFile(path, what, maxBytes).tensors(types);
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
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (i) s += ", ";
    // 64-bit integers exactly: a double holds only 53 bits.
    if (t.dtype() == DType::I64)
      s += std::to_string(static_cast<const int64_t *>(t.data())[i]);
    else
      s += jsonNumber(t.get(i), t.dtype());
  }
  return s + "]}";
}

std::string jsonString(const std::string &s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace gradc
