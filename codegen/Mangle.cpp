//===- codegen/Mangle.cpp - Safe spellings of user names ------------------===//
#include "codegen/Mangle.h"

#include <cstdio>
#include <set>

namespace gradc {

unsigned long long fnv1a(const std::string &s) {
  unsigned long long h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

static bool isReserved(const std::string &s) {
  static const std::set<std::string> words = {
      "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case",
      "catch", "char", "class", "const", "constexpr", "continue", "default",
      "delete", "do", "double", "else", "enum", "explicit", "export",
      "extern", "false", "float", "for", "friend", "goto", "if", "inline",
      "int", "long", "mutable", "namespace", "new", "noexcept", "not",
      "nullptr", "operator", "or", "private", "protected", "public",
      "register", "return", "short", "signed", "sizeof", "static", "struct",
      "switch", "template", "this", "throw", "true", "try", "typedef",
      "typename", "union", "unsigned", "using", "virtual", "void",
      "volatile", "while", "main"};
  return words.count(s) > 0;
}

std::string mangleIdentifier(const std::string &name) {
  std::string r;
  bool changed = false;
  for (unsigned char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_';
    r += ok ? static_cast<char>(c) : '_';
    changed |= !ok;
  }
  // Identifiers with "__" or a leading '_' + capital are reserved in C++.
  for (size_t i = 0; i + 1 < r.size(); ++i)
    if (r[i] == '_' && r[i + 1] == '_') {
      r[i + 1] = 'u';
      changed = true;
    }
  if (r.size() > 64) {
    r.resize(64);
    changed = true;
  }
  if (r.empty() || (r[0] >= '0' && r[0] <= '9') || r[0] == '_' ||
      isReserved(r)) {
    r = "g_" + r;
    changed = true;
  }
  if (changed) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "_%08llx", fnv1a(name) & 0xffffffffULL);
    r += buf;
  }
  return r;
}

std::string escapeComment(const std::string &text, size_t maxLen) {
  std::string r;
  for (unsigned char c : text) {
    if (r.size() >= maxLen) {
      r += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '%') {
      r += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      r += buf;
    }
  }
  return r;
}

} // namespace gradc
