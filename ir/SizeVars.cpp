//===- ir/SizeVars.cpp - Size variables of a graph's inputs ---------------===//
#include "ir/SizeVars.h"

#include "ir/Error.h"

#include <cctype>
#include <charconv>

namespace gradc {

std::string SymDim::str() const {
  if (symbolic()) return name;
  return value < 0 ? "?" : std::to_string(value);
}

bool GraphSignature::symbolic() const {
  for (const InputSignature &in : inputs)
    for (const SymDim &d : in.dims)
      if (d.symbolic()) return true;
  return false;
}

std::vector<std::string> GraphSignature::sizeNames() const {
  std::vector<std::string> names;
  for (const InputSignature &in : inputs)
    for (const SymDim &d : in.dims) {
      if (!d.symbolic()) continue;
      bool seen = false;
      for (const std::string &n : names) seen |= n == d.name;
      if (!seen) names.push_back(d.name);
    }
  return names;
}

std::string GraphSignature::shapeOf(const std::string &input) const {
  for (const InputSignature &in : inputs) {
    if (in.input != input) continue;
    std::string s = "[";
    for (size_t k = 0; k < in.dims.size(); ++k)
      s += (k ? ", " : "") + in.dims[k].str();
    return s + "]";
  }
  return "";
}

const InputSignature *GraphSignature::find(const std::string &input) const {
  for (const InputSignature &in : inputs)
    if (in.input == input) return &in;
  return nullptr;
}

bool isSizeVariableName(const std::string &name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::pair<std::string, int64_t> parseSizeAssignment(const std::string &text) {
  size_t eq = text.find('=');
  const std::string usage = "--size expects NAME=VALUE, like B=64, got '" + text + "'";
  if (eq == std::string::npos) throw Error(usage);
  std::string name = text.substr(0, eq), value = text.substr(eq + 1);
  if (!isSizeVariableName(name)) throw Error(usage);
  int64_t v = 0;
  const char *end = value.data() + value.size();
  auto r = std::from_chars(value.data(), end, v);
  if (value.empty() || r.ec != std::errc() || r.ptr != end)
    throw Error("--size " + name + ": '" + value + "' is not a whole number");
  if (v < 0)
    throw Error("size '" + name + "' must not be negative, got " + value);
  return {name, v};
}

SizeBinding parseSizeAssignments(const std::vector<std::string> &items) {
  SizeBinding sizes;
  for (const std::string &item : items) {
    auto [name, value] = parseSizeAssignment(item);
    if (!sizes.emplace(name, value).second)
      throw Error("--size gives '" + name + "' twice");
  }
  return sizes;
}

namespace {

/// "B, T": names for messages.
std::string commaList(const std::vector<std::string> &names) {
  std::string s;
  for (const std::string &n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

/// Where a binding came from, for messages.
struct Source {
  int64_t value;
  std::string from; ///< "--size B=64" or "input 'x' (dim 0)".
};

} // namespace

SizeBinding bindSizes(const GraphSignature &sig, const SizeBinding &explicitSizes,
                      const std::map<std::string, Shape> &supplied) {
  std::map<std::string, Source> bound;
  std::vector<std::string> names = sig.sizeNames();
  for (const auto &kv : explicitSizes) {
    bool declared = false;
    for (const std::string &n : names) declared |= n == kv.first;
    if (!declared)
      throw Error("--size " + kv.first + "=" + std::to_string(kv.second) +
                  ": the graph has no size variable '" + kv.first + "' (it has" +
                  (names.empty() ? " none" : ": " + commaList(names)) + ")");
    if (kv.second < 0)
      throw Error("size '" + kv.first + "' must not be negative, got " +
                  std::to_string(kv.second));
    bound[kv.first] = {kv.second, "--size " + kv.first + "=" + std::to_string(kv.second)};
  }
  for (const InputSignature &in : sig.inputs) {
    auto it = supplied.find(in.input);
    if (it == supplied.end()) continue;
    const Shape &shape = it->second;
    const std::string declared = sig.shapeOf(in.input);
    if (shape.size() != in.dims.size())
      throw Error("input '" + in.input + "' has shape " + shapeToString(shape) +
                  ", but the graph declares " + declared + " (rank " +
                  std::to_string(in.dims.size()) + ")");
    for (size_t k = 0; k < in.dims.size(); ++k) {
      const SymDim &d = in.dims[k];
      if (!d.symbolic()) {
        if (d.value >= 0 && shape[k] != d.value)
          throw Error("input '" + in.input + "' has shape " + shapeToString(shape) +
                      ", but the graph declares " + declared + ": dimension " +
                      std::to_string(k) + " must be " + std::to_string(d.value));
        continue;
      }
      std::string from = "input '" + in.input + "' (dim " + std::to_string(k) + ")";
      auto b = bound.find(d.name);
      if (b == bound.end()) {
        bound[d.name] = {shape[k], from};
      } else if (b->second.value != shape[k]) {
        throw Error("size '" + d.name + "' is bound to two values: " +
                    std::to_string(b->second.value) + " by " + b->second.from +
                    " and " + std::to_string(shape[k]) + " by " + from);
      }
    }
  }
  SizeBinding result;
  for (const std::string &n : names) {
    auto b = bound.find(n);
    if (b == bound.end()) {
      std::vector<std::string> uses;
      for (const InputSignature &in : sig.inputs)
        for (const SymDim &d : in.dims)
          if (d.name == n && (uses.empty() || uses.back() != in.input))
            uses.push_back(in.input);
      std::string list;
      for (size_t k = 0; k < uses.size(); ++k)
        list += (k == 0 ? "'" : k + 1 == uses.size() ? "' or '" : "', '") + uses[k];
      throw Error("size '" + n + "' is not bound: supply " + list +
                  "' (its shape binds it) or give it with --size " + n + "=N");
    }
    result[n] = b->second.value;
  }
  return result;
}

std::string bindingString(const SizeBinding &b) {
  std::string s;
  for (const auto &kv : b)
    s += (s.empty() ? "" : ", ") + kv.first + "=" + std::to_string(kv.second);
  return s;
}

} // namespace gradc
