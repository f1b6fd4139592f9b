//===- ir/Attr.cpp - Node attributes --------------------------------------===//
#include "ir/Attr.h"

#include "ir/Error.h"

#include <charconv>
#include <cmath>

namespace gradc {

std::string formatDouble(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

static std::string quote(const std::string &s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      r += '\\';
      r += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static const char *hex = "0123456789abcdef";
      r += "\\x";
      r += hex[c >> 4];
      r += hex[c & 15];
    } else {
      r += static_cast<char>(c);
    }
  }
  return r + "\"";
}

std::string attrToString(const Attr &a) {
  struct V {
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return formatDouble(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string &v) const { return quote(v); }
    std::string operator()(const std::vector<int64_t> &v) const {
      std::string r = "[";
      for (size_t i = 0; i < v.size(); ++i)
        r += (i ? ", " : "") + std::to_string(v[i]);
      return r + "]";
    }
    std::string operator()(const std::vector<double> &v) const {
      std::string r = "[";
      for (size_t i = 0; i < v.size(); ++i)
        r += (i ? ", " : "") + formatDouble(v[i]);
      return r + "]";
    }
  };
  return std::visit(V{}, a);
}

[[noreturn]] static void wrongKind(const std::string &key, const char *want) {
  throw Error("attribute '" + key + "' must be " + want);
}

int64_t getInt(const AttrMap &m, const std::string &key, int64_t def) {
  auto it = m.find(key);
  if (it == m.end()) return def;
  if (auto *v = std::get_if<int64_t>(&it->second)) return *v;
  wrongKind(key, "an integer");
}

double getFloat(const AttrMap &m, const std::string &key, double def) {
  auto it = m.find(key);
  if (it == m.end()) return def;
  if (auto *v = std::get_if<double>(&it->second)) return *v;
  if (auto *v = std::get_if<int64_t>(&it->second))
    return static_cast<double>(*v);
  wrongKind(key, "a number");
}

bool getBool(const AttrMap &m, const std::string &key, bool def) {
  auto it = m.find(key);
  if (it == m.end()) return def;
  if (auto *v = std::get_if<bool>(&it->second)) return *v;
  wrongKind(key, "true or false");
}

std::string getString(const AttrMap &m, const std::string &key,
                      const std::string &def) {
  auto it = m.find(key);
  if (it == m.end()) return def;
  if (auto *v = std::get_if<std::string>(&it->second)) return *v;
  wrongKind(key, "a string");
}

std::vector<int64_t> getInts(const AttrMap &m, const std::string &key,
                             const std::vector<int64_t> &def) {
  auto it = m.find(key);
  if (it == m.end()) return def;
  if (auto *v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  if (auto *v = std::get_if<int64_t>(&it->second)) return {*v};
  // An empty list may have been read as a float list.
  if (auto *v = std::get_if<std::vector<double>>(&it->second))
    if (v->empty()) return {};
  wrongKind(key, "an integer or a list of integers");
}

std::vector<double> getFloats(const AttrMap &m, const std::string &key) {
  auto it = m.find(key);
  if (it == m.end()) return {};
  if (auto *v = std::get_if<std::vector<double>>(&it->second)) return *v;
  if (auto *v = std::get_if<std::vector<int64_t>>(&it->second))
    return std::vector<double>(v->begin(), v->end());
  wrongKind(key, "a list of numbers");
}

} // namespace gradc
