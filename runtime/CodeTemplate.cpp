//===- runtime/CodeTemplate.cpp - Generated code with its sizes as a table ===//
#include "runtime/CodeTemplate.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <tuple>

namespace gradc {

namespace {

bool identStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool identChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

/// Marks the numbers C++ needs as constants, or whose value steers how
/// clang vectorizes a loop: the bound of an initialized array ([14] = {}),
/// inside __attribute__((...)), and in the header of a
/// GC_REASSOCIABLE_LOOP loop.
void markPinned(std::vector<CodeTokens::Token> &t) {
  for (size_t i = 0; i < t.size(); ++i) {
    // An initialized array needs a constant bound; one without an
    // initializer may take a run-time one (clang's variable-length arrays,
    // the same storage when the length is the same).
    if (t[i].number && i > 0 && i + 2 < t.size() && t[i - 1].text == "[" &&
        t[i + 1].text == "]" && t[i + 2].text == "=")
      t[i].pinned = true;
    bool attribute = t[i].text == "__attribute__";
    bool reassoc = t[i].text == "GC_REASSOCIABLE_LOOP";
    if (!attribute && !reassoc) continue;
    size_t j = i + 1;
    if (reassoc && j < t.size() && t[j].text == "for") ++j;
    if (j >= t.size() || t[j].text != "(") continue;
    int depth = 0;
    for (; j < t.size(); ++j) {
      if (t[j].text == "(") ++depth;
      if (t[j].text == ")" && --depth == 0) break;
      if (t[j].number) t[j].pinned = true;
    }
  }
}

/// The calls a kernel may make and still compute the same bits inlined or
/// not, with or without alignment assumptions: control flow, exact
/// arithmetic (IEEE sqrt and fabs, comparisons), memory and the opaque BLAS.
/// A call to anything else (libm's exp or log, which clang may replace by
/// libmvec's vector variants where it vectorizes; a helper function whose
/// code an alignment assumption could reach) keeps the hints.
bool exactCall(const std::string &name) {
  static const char *const kExact[] = {
      "for", "if", "while", "switch", "return", "sizeof", "gc_max", "gc_min",
      "gc_index_status", "sqrtf", "sqrt", "fabsf", "fabs", "calloc", "free",
      "memcpy", "memset"};
  for (const char *e : kExact)
    if (name == e) return true;
  return name.rfind("__builtin_", 0) == 0 || name.rfind("cblas_", 0) == 0;
}

/// The length of `t` from i on that spells an inlining attribute:
/// `inline __attribute__((always_inline))` or `__attribute__((noinline))`;
/// 0 for anything else.
size_t inliningAttribute(const std::vector<CodeTokens::Token> &t, size_t i) {
  auto is = [&](size_t k, const char *text) { return k < t.size() && t[k].text == text; };
  size_t a = is(i, "inline") ? i + 1 : i;
  if (!is(a, "__attribute__") || !is(a + 1, "(") || !is(a + 2, "(") || !is(a + 4, ")") ||
      !is(a + 5, ")"))
    return 0;
  if (a > i ? is(a + 3, "always_inline") : is(a + 3, "noinline")) return a + 6 - i;
  return 0;
}

/// Drops the hints that change no bit of a kernel's results: whether a
/// function is inlined, and the alignment it may assume of its pointers.
/// The emitters choose both by size (a kernel past the inlining threshold
/// is kept out of line and assumes 64-byte alignment), and they would
/// otherwise split a range of sizes in two. Dropped only for a function
/// with no GC_REASSOCIABLE_LOOP (the one loop whose floating-point order
/// clang may choose, and an alignment assumption may steer that choice)
/// and no call but exact ones (exactCall): every other operation is IEEE
/// and contracted within its expression only (-ffp-contract=on), which
/// neither inlining nor alignment nor the width of a vector changes.
void dropBitNeutralHints(std::vector<CodeTokens::Token> &t) {
  std::vector<bool> drop(t.size(), false);
  for (size_t i = 0; i < t.size(); ++i) {
    size_t attr = inliningAttribute(t, i);
    // static ATTRIBUTE void NAME(...) { ... }
    size_t v = i + attr;
    if (!attr || i == 0 || t[i - 1].text != "static" || v + 2 >= t.size() ||
        t[v].text != "void" || t[v + 2].text != "(")
      continue;
    size_t params = closingToken(t, v + 2);
    if (params + 1 >= t.size() || t[params + 1].text != "{") continue;
    size_t open = params + 1, close = closingToken(t, open);
    if (close == t.size()) continue;
    bool exact = true;
    for (size_t j = open + 1; j < close && exact; ++j) {
      if (t[j].text == "GC_REASSOCIABLE_LOOP") exact = false;
      bool ident = identStart(t[j].text[0]) && !t[j].number;
      if (ident && t[j + 1].text == "(" && !exactCall(t[j].text)) exact = false;
    }
    if (!exact) continue;
    for (size_t j = i; j < v; ++j) drop[j] = true;
    // Leading statements `p0 = (const float *)__builtin_assume_aligned(p0, 64);`.
    for (size_t s = open + 1; s < close;) {
      size_t semi = s;
      while (semi < close && t[semi].text != ";" && t[semi].text != "{") ++semi;
      bool aligned = semi < close && t[semi].text == ";" && s + 2 < semi &&
                     t[s + 1].text == "=" && t[s + 2].text == "(";
      size_t cast = aligned ? closingToken(t, s + 2) : semi;
      aligned = aligned && cast + 1 < semi && t[cast + 1].text == "__builtin_assume_aligned";
      if (!aligned) break;
      for (size_t j = s; j <= semi; ++j) drop[j] = true;
      s = semi + 1;
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (drop[i]) continue;
    if (kept != i) t[kept] = std::move(t[i]);
    ++kept;
  }
  t.resize(kept);
}

/// Marks the numbers that are slots even where every sample has the same
/// value: the flag of a dispatch to the thread pool,
/// `if (FLAG && gradc_parallel_for)` (codegen/ParallelBlocks.h). The
/// emitters set it by size where the code is otherwise the same; reading
/// it from the table keeps the bindings on both sides of the threshold in
/// one template, and costs one load per dispatch.
void markSlots(std::vector<CodeTokens::Token> &t) {
  for (size_t i = 0; i + 3 < t.size(); ++i)
    if (t[i].number && !t[i].pinned && t[i + 1].text == "&" && t[i + 2].text == "&" &&
        t[i + 3].text == "gradc_parallel_for")
      t[i].slot = true;
}

} // namespace

size_t closingToken(const std::vector<CodeTokens::Token> &t, size_t open) {
  const std::string &o = t[open].text;
  const std::string c = o == "(" ? ")" : o == "{" ? "}" : "]";
  int depth = 0;
  for (size_t j = open; j < t.size(); ++j) {
    if (t[j].text == o) ++depth;
    if (t[j].text == c && --depth == 0) return j;
  }
  return t.size();
}

std::string applyEdits(const std::string &source, CodeEdits edits) {
  std::sort(edits.begin(), edits.end());
  std::string out;
  size_t at = 0;
  for (const auto &[b, e, text] : edits) {
    out.append(source, at, b - at);
    out += text;
    at = e;
  }
  out.append(source, at, std::string::npos);
  return out;
}

CodeTokens tokenizeGeneratedCode(const std::string &s, bool normalize) {
  CodeTokens r;
  std::vector<CodeTokens::Token> &t = r.tokens;
  size_t i = 0, n = s.size();
  bool lineStart = true;
  auto push = [&](size_t b, size_t e, bool number) {
    CodeTokens::Token k;
    k.text = s.substr(b, e - b);
    k.begin = b;
    k.end = e;
    k.number = number;
    t.push_back(std::move(k));
  };
  while (i < n) {
    char c = s[i];
    if (c == '\n') {
      lineStart = true;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '/') {
      while (i < n && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      size_t e = s.find("*/", i + 2);
      i = e == std::string::npos ? n : e + 2;
      continue;
    }
    bool wasLineStart = lineStart;
    lineStart = false;
    size_t b = i;
    if (c == '#' && wasLineStart) { // a preprocessor line, continuations included
      while (i < n && !(s[i] == '\n' && s[i - 1] != '\\')) ++i;
      push(b, i, false);
      continue;
    }
    if (c == '"' || c == '\'') {
      for (++i; i < n && s[i] != c; ++i)
        if (s[i] == '\\') ++i;
      i = std::min(n, i + 1);
      push(b, i, false);
      continue;
    }
    if (identStart(c)) {
      while (i < n && identChar(s[i])) ++i;
      push(b, i, false);
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      // A preprocessing number: digits, letters, '.', and a sign after an
      // exponent letter.
      ++i;
      while (i < n) {
        char d = s[i];
        if ((d == '+' || d == '-') && std::strchr("eEpP", s[i - 1]) &&
            !(s[b] == '0' && b + 1 < n && (s[b + 1] == 'x' || s[b + 1] == 'X') &&
              (s[i - 1] == 'e' || s[i - 1] == 'E'))) {
          ++i;
          continue;
        }
        if (!identChar(d) && d != '.') break;
        ++i;
      }
      push(b, i, true);
      continue;
    }
    push(b, i + 1, false);
    ++i;
  }
  if (!normalize) return r;
  markPinned(t);
  markSlots(t);
  dropBitNeutralHints(t);
  return r;
}

std::optional<CodeTemplate::Kind> CodeTemplate::kindOf(const std::string &lit) {
  if (lit.empty() || !std::isdigit(static_cast<unsigned char>(lit[0]))) return std::nullopt;
  bool hex = lit.size() > 1 && lit[0] == '0' && (lit[1] == 'x' || lit[1] == 'X');
  if (hex) return std::nullopt; // gradc prints sizes in decimal
  if (lit.find_first_of(".eE") != std::string::npos) {
    char last = lit.back();
    if (last == 'f' || last == 'F') return Kind::Float;
    if (std::isdigit(static_cast<unsigned char>(last)) || last == '.') return Kind::Double;
    return std::nullopt;
  }
  size_t digits = 0;
  while (digits < lit.size() && std::isdigit(static_cast<unsigned char>(lit[digits]))) ++digits;
  if (digits > 1 && lit[0] == '0') return std::nullopt; // octal
  std::string suffix;
  for (size_t k = digits; k < lit.size(); ++k)
    suffix += static_cast<char>(std::tolower(static_cast<unsigned char>(lit[k])));
  errno = 0;
  unsigned long long v = std::strtoull(lit.c_str(), nullptr, 10);
  if (errno) return std::nullopt;
  if (suffix.empty()) {
    if (v <= static_cast<unsigned long long>(INT_MAX)) return Kind::Int;
    if (v <= static_cast<unsigned long long>(LONG_MAX)) return Kind::Long;
    return std::nullopt;
  }
  if (suffix == "u") return v <= UINT_MAX ? Kind::UInt : Kind::ULong;
  if (suffix == "l")
    return v <= static_cast<unsigned long long>(LONG_MAX) ? std::optional(Kind::Long)
                                                          : std::nullopt;
  if (suffix == "ul" || suffix == "lu") return Kind::ULong;
  if (suffix == "ll")
    return v <= static_cast<unsigned long long>(LLONG_MAX) ? std::optional(Kind::LongLong)
                                                           : std::nullopt;
  if (suffix == "ull" || suffix == "llu") return Kind::ULongLong;
  return std::nullopt;
}

std::optional<uint64_t> CodeTemplate::valueOf(const std::string &lit, Kind kind) {
  switch (kind) {
  case Kind::Double: {
    double d = std::strtod(lit.c_str(), nullptr);
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    return bits;
  }
  case Kind::Float: {
    float f = std::strtof(lit.c_str(), nullptr);
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
  }
  case Kind::Int: case Kind::Long: case Kind::LongLong: case Kind::UInt: case Kind::ULong:
  case Kind::ULongLong:
    return std::strtoull(lit.c_str(), nullptr, 10);
  }
  return std::nullopt;
}

std::string CodeTemplate::reader(Kind kind, size_t slot) {
  std::string t = std::string(kTemplateTableSymbol) + "[" + std::to_string(slot) + "]";
  switch (kind) {
  case Kind::Int: return "((int)" + t + ")";
  case Kind::Long: return "((long)" + t + ")";
  case Kind::LongLong: return "((long long)" + t + ")";
  case Kind::UInt: return "((unsigned)" + t + ")";
  case Kind::ULong: return "((unsigned long)" + t + ")";
  case Kind::ULongLong: return "(" + t + ")";
  case Kind::Double: return "__builtin_bit_cast(double, " + t + ")";
  case Kind::Float: return "__builtin_bit_cast(float, (unsigned)" + t + ")";
  }
  return t;
}

std::optional<CodeTemplate> CodeTemplate::derive(const std::vector<std::string> &samples) {
  if (samples.size() < 2) return std::nullopt;
  std::vector<CodeTokens> toks;
  for (const std::string &s : samples) toks.push_back(tokenizeGeneratedCode(s));
  const auto &base = toks[0].tokens;
  // Samples of the same structure as the first: the same tokens but for
  // unpinned numbers, which keep their C++ type.
  auto sameStructure = [&](const std::vector<CodeTokens::Token> &o) {
    if (o.size() != base.size()) return false;
    for (size_t i = 0; i < base.size(); ++i) {
      const auto &a = base[i], &b = o[i];
      if (a.number != b.number || a.pinned != b.pinned) return false;
      if (!a.number || a.pinned) {
        if (a.text != b.text) return false;
        continue;
      }
      if (a.text != b.text && kindOf(a.text) != kindOf(b.text)) return false;
    }
    return true;
  };
  std::vector<const std::vector<CodeTokens::Token> *> same;
  for (size_t k = 1; k < toks.size(); ++k)
    if (sameStructure(toks[k].tokens)) same.push_back(&toks[k].tokens);
  if (same.empty()) return std::nullopt;

  CodeTemplate t;
  CodeEdits edits;
  for (size_t i = 0; i < base.size(); ++i) {
    bool varies = base[i].slot;
    for (const auto *o : same) varies |= (*o)[i].text != base[i].text;
    t.free_.push_back(base[i].number && !base[i].pinned);
    if (!varies) {
      t.expected_.push_back(base[i].text);
      continue;
    }
    std::optional<Kind> kind = kindOf(base[i].text);
    if (!kind) return std::nullopt;
    t.expected_.push_back("");
    t.slotAt_.push_back(i);
    t.kinds_.push_back(*kind);
    edits.emplace_back(base[i].begin, base[i].end, reader(*kind, t.kinds_.size() - 1));
  }
  t.text_ = "extern \"C\" const unsigned long long " + std::string(kTemplateTableSymbol) +
            "[];\n" + applyEdits(samples[0], std::move(edits));
  return t;
}

bool CodeTemplate::sameStructure(const std::string &source) const {
  return sameStructure(tokenizeGeneratedCode(source));
}

bool CodeTemplate::sameStructure(const CodeTokens &c) const {
  if (c.tokens.size() != expected_.size()) return false;
  for (size_t i = 0; i < expected_.size(); ++i) {
    const CodeTokens::Token &tok = c.tokens[i];
    if (free_[i]) {
      if (!tok.number || tok.pinned) return false;
    } else if (tok.text != expected_[i]) {
      return false;
    }
  }
  return true;
}

std::optional<std::vector<uint64_t>> CodeTemplate::match(const std::string &source) const {
  return match(tokenizeGeneratedCode(source));
}

std::optional<std::vector<uint64_t>> CodeTemplate::match(const CodeTokens &c) const {
  if (c.tokens.size() != expected_.size()) return std::nullopt;
  std::vector<uint64_t> table;
  table.reserve(kinds_.size());
  size_t slot = 0;
  for (size_t i = 0; i < expected_.size(); ++i) {
    const CodeTokens::Token &tok = c.tokens[i];
    if (slot < slotAt_.size() && slotAt_[slot] == i) {
      if (!tok.number || tok.pinned || kindOf(tok.text) != kinds_[slot]) return std::nullopt;
      std::optional<uint64_t> v = valueOf(tok.text, kinds_[slot]);
      if (!v) return std::nullopt;
      table.push_back(*v);
      ++slot;
      continue;
    }
    if (tok.text != expected_[i]) return std::nullopt;
  }
  return table;
}

} // namespace gradc
