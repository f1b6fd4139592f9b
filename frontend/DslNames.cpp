//===- frontend/DslNames.cpp - Spelling rules of the DSL ------------------===//
#include "frontend/DslNames.h"

#include "frontend/Diagnostics.h"
#include "ir/Attr.h"

#include <cmath>
#include <unordered_set>

namespace gradc {

bool isDslKeyword(const std::string &word) {
  static const std::unordered_set<std::string> words = {
      "False", "None",   "True",    "and",      "as",       "assert",
      "async", "await",  "break",   "class",    "continue", "def",
      "del",   "elif",   "else",    "except",   "finally",  "for",
      "from",  "global", "if",      "import",   "in",       "is",
      "lambda", "nonlocal", "not",  "or",       "pass",     "raise",
      "return", "try",   "while",   "with",     "yield",    "inf",
      "nan"};
  return words.count(word) != 0;
}

bool isDslIdentifier(const std::string &name) {
  if (name.empty() || !isIdentStart(name[0])) return false;
  for (char c : name)
    if (!isIdentChar(c)) return false;
  return !isDslKeyword(name);
}

std::string dslQuote(const std::string &s, char quote) {
  static const char *hex = "0123456789abcdef";
  std::string r(1, quote);
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t n = c >= 0x80 ? decodeUtf8(s, i, cp) : 1;
    if (c >= 0x80 && n) { // Well-formed UTF-8 is written as is.
      r += s.substr(i, n);
      i += n;
      continue;
    }
    ++i;
    if (c == '\\' || c == static_cast<unsigned char>(quote)) {
      r += '\\';
      r += static_cast<char>(c);
    } else if (c == '\n') {
      r += "\\n";
    } else if (c == '\t') {
      r += "\\t";
    } else if (c == '\r') {
      r += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      r += "\\x";
      r += hex[c >> 4];
      r += hex[c & 15];
    } else {
      r += static_cast<char>(c);
    }
  }
  return r + quote;
}

std::string dslName(const std::string &name) {
  return isDslIdentifier(name) ? name : dslQuote(name, '`');
}

size_t dslUnescape(const std::string &text, size_t i, std::string &out) {
  if (i + 1 >= text.size()) return 0;
  char c = text[i + 1];
  switch (c) {
  case '\\': case '`': case '"': case '\'':
    out += c;
    return 2;
  case 'n': out += '\n'; return 2;
  case 't': out += '\t'; return 2;
  case 'r': out += '\r'; return 2;
  case '0': out += '\0'; return 2;
  case 'x': {
    if (i + 3 >= text.size()) return 0;
    auto val = [](char h) -> int {
      if (h >= '0' && h <= '9') return h - '0';
      if (h >= 'a' && h <= 'f') return h - 'a' + 10;
      if (h >= 'A' && h <= 'F') return h - 'A' + 10;
      return -1;
    };
    int hi = val(text[i + 2]), lo = val(text[i + 3]);
    if (hi < 0 || lo < 0) return 0;
    out += static_cast<char>(hi * 16 + lo);
    return 4;
  }
  default:
    return 0;
  }
}

std::string dslNumber(double v) {
  // Integral values read better without ".0" (`x + 2`); below 1e16 they are
  // exact in both int64 and double, and -0.0 must keep its sign.
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 1e16 &&
      !(v == 0 && std::signbit(v)))
    return std::to_string(static_cast<int64_t>(v));
  return formatDouble(v);
}

std::string dslFloat(double v) { return formatDouble(v); }

std::optional<DType> dslDType(const std::string &s) {
  // torch.float is float32 and torch.int is int32, as in PyTorch.
  if (s == "f32" || s == "float32" || s == "float") return DType::F32;
  if (s == "f64" || s == "float64" || s == "double") return DType::F64;
  if (s == "i32" || s == "int32" || s == "int") return DType::I32;
  if (s == "i64" || s == "int64" || s == "long") return DType::I64;
  if (s == "bool") return DType::Bool;
  return std::nullopt;
}

} // namespace gradc
