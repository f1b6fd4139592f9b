//===- ir/FactoryShapes.cpp - Shape rules of tensor factories -------------===//
#include "ir/FactoryShapes.h"

#include "ir/Error.h"
#include "ir/Limits.h"

#include <cmath>

namespace gradc {
namespace {

bool isIntAttr(const AttrMap &attrs, const std::string &key) {
  auto it = attrs.find(key);
  return it == attrs.end() || std::holds_alternative<int64_t>(it->second);
}

/// The dtype attribute if present (checked), else `inferred`.
DType dtypeAttr(const AttrMap &attrs, const char *op, DType inferred) {
  auto it = attrs.find("dtype");
  if (it == attrs.end()) return inferred;
  const auto *s = std::get_if<std::string>(&it->second);
  auto d = s ? parseDType(*s) : std::nullopt;
  if (!d)
    throw Error(std::string(op) + ": 'dtype' must be one of \"f32\", \"f64\", "
                "\"i32\", \"i64\", \"bool\"");
  return *d;
}

void requireNumber(const AttrMap &attrs, const std::string &key, const char *op) {
  auto it = attrs.find(key);
  if (it == attrs.end()) return;
  if (!std::holds_alternative<int64_t>(it->second) &&
      !std::holds_alternative<double>(it->second))
    throw Error(std::string(op) + ": '" + key + "' must be a number");
  if (!std::isfinite(getFloat(attrs, key, 0)))
    throw Error(std::string(op) + ": '" + key + "' must be finite");
}

} // namespace

TensorType inferArange(const std::vector<TensorType> &, AttrMap &attrs) {
  if (!attrs.count("end"))
    throw Error("arange: the attribute 'end' is required");
  for (const char *k : {"start", "end", "step"}) requireNumber(attrs, k, "arange");
  // Canonical form: start and step always present (arange(5) in the DSL
  // and {"end": 5} in JSON are one node).
  if (!attrs.count("start")) attrs["start"] = int64_t(0);
  if (!attrs.count("step")) attrs["step"] = int64_t(1);
  double start = getFloat(attrs, "start", 0), end = getFloat(attrs, "end", 0),
         step = getFloat(attrs, "step", 1);
  if (step == 0) throw Error("arange: step must be nonzero");
  if ((step > 0 && end < start) || (step < 0 && end > start))
    throw Error("arange: upper bound and larger bound inconsistent with step sign");
  double n = std::ceil((end - start) / step);
  if (n > static_cast<double>(int64_t(1) << 40))
    throw Error("arange: too many elements");
  bool ints = isIntAttr(attrs, "start") && isIntAttr(attrs, "end") &&
              isIntAttr(attrs, "step");
  DType t = dtypeAttr(attrs, "arange", ints ? DType::I64 : DType::F32);
  if (t == DType::Bool) throw Error("arange: a bool dtype is not supported");
  return {t, {static_cast<int64_t>(n)}};
}

TensorType inferFull(const std::vector<TensorType> &, AttrMap &attrs) {
  if (!attrs.count("size")) throw Error("full: the attribute 'size' is required");
  if (!attrs.count("fill_value"))
    throw Error("full: the attribute 'fill_value' is required");
  Shape s = getInts(attrs, "size", {});
  for (int64_t d : s)
    if (d < 0) throw Error("full: size has a negative dimension");
  attrs["size"] = s; // an integer is a 1-D size
  const Attr &v = attrs.at("fill_value");
  DType inferred = std::holds_alternative<bool>(v) ? DType::Bool
                   : std::holds_alternative<int64_t>(v) ? DType::I64
                   : DType::F32;
  if (!std::holds_alternative<bool>(v)) requireNumber(attrs, "fill_value", "full");
  return {dtypeAttr(attrs, "full", inferred), s};
}

TensorType inferFillLike(const std::vector<TensorType> &in, AttrMap &attrs) {
  return {dtypeAttr(attrs, "zeros_like/ones_like", in[0].dtype), in[0].shape};
}

} // namespace gradc
