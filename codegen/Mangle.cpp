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
  // C++20 keywords and alternative tokens, C keywords a C compiler of the
  // AOT output might see, and "main".
  static const std::set<std::string> words = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand",
      "bitor", "bool", "break", "case", "catch", "char", "char8_t",
      "char16_t", "char32_t", "class", "co_await", "co_return", "co_yield",
      "compl", "concept", "const", "const_cast", "consteval", "constexpr",
      "constinit", "continue", "decltype", "default", "delete", "do",
      "double", "dynamic_cast", "else", "enum", "explicit", "export",
      "extern", "false", "final", "float", "for", "friend", "goto", "if",
      "import", "inline", "int", "long", "module", "mutable", "namespace",
      "new", "noexcept", "not", "not_eq", "nullptr", "operator", "or",
      "or_eq", "override", "private", "protected", "public", "register",
      "reinterpret_cast", "requires", "restrict", "return", "short",
      "signed", "sizeof", "static", "static_assert", "static_cast",
      "struct", "switch", "template", "this", "thread_local", "throw",
      "true", "try", "typedef", "typeid", "typename", "union", "unsigned",
      "using", "virtual", "void", "volatile", "wchar_t", "while", "xor",
      "xor_eq", "main"};
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
    // "g" before a leading '_' keeps a single underscore ("_x" -> "g_x").
    r = (r.empty() || r[0] != '_' ? "g_" : "g") + r;
    changed = true;
  }
  if (changed) {
    // The hash starts with '_': never let it form "__" with the name.
    if (r.back() == '_') r += 'x';
    char buf[20];
    std::snprintf(buf, sizeof buf, "_%08llx", fnv1a(name) & 0xffffffffULL);
    r += buf;
  }
  return r;
}

std::string upperIdentifier(std::string identifier) {
  for (char &c : identifier)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return identifier;
}

std::string escapeComment(const std::string &text, size_t maxLen) {
  std::string r;
  for (unsigned char c : text) {
    if (r.size() >= maxLen) {
      r += "...";
      break;
    }
    // '\\' would splice lines; "??/" is a backslash where trigraphs are
    // on (C++ before 17, as a user's AOT build might compile).
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '%' && c != '?') {
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
