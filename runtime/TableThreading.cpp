//===- runtime/TableThreading.cpp - A template's table as a parameter -----===//
#include "runtime/TableThreading.h"

#include "ir/Error.h"
#include "runtime/CodeTemplate.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace gradc {

namespace {

using Tokens = std::vector<CodeTokens::Token>;

bool isIdentifier(const CodeTokens::Token &t) {
  return !t.number && !t.text.empty() &&
         (std::isalpha(static_cast<unsigned char>(t.text[0])) || t.text[0] == '_');
}

/// Words followed by a parenthesis and a brace that open no function.
bool isStatementWord(const std::string &s) {
  static const std::set<std::string> words = {
      "if", "for", "while", "switch", "catch", "return", "sizeof", "decltype",
      "alignas", "__attribute__", "defined"};
  return words.count(s) > 0;
}

/// A function definition: NAME ( params ) { body }.
struct Def {
  std::string name;
  std::string scope;    ///< The struct it is a member of ("": none).
  size_t scopeOpen = 0; ///< That struct's "{".
  size_t nameAt = 0, open = 0, close = 0, bodyOpen = 0, bodyClose = 0;
  bool cLinkage = false; ///< `extern "C"` before it: an entry point.
  size_t externAt = 0;   ///< The `extern` token, when cLinkage.
  /// Its address is taken: a thread pool's entry (`void NAME(void *args,
  /// long long b0, long long b1)`), which cannot take another parameter.
  bool trampoline = false;
  std::string argsType; ///< A trampoline's argument struct, from `const T *a = (const T *)args;`.
  bool threaded = false; ///< Needs the table.
  bool contains(size_t i) const { return i > bodyOpen && i < bodyClose; }
};

std::vector<Def> findDefinitions(const Tokens &t) {
  std::vector<Def> defs;
  for (size_t i = 1; i + 1 < t.size(); ++i) {
    if (!isIdentifier(t[i]) || isStatementWord(t[i].text) || t[i + 1].text != "(") continue;
    const std::string &before = t[i - 1].text;
    if (!(isIdentifier(t[i - 1]) || before == "*" || before == ">" || before == "&")) continue;
    if (isStatementWord(before) || before == "else") continue;
    size_t close = closingToken(t, i + 1);
    if (close + 1 >= t.size() || t[close + 1].text != "{") continue;
    Def d;
    d.name = t[i].text;
    d.nameAt = i;
    d.open = i + 1;
    d.close = close;
    d.bodyOpen = close + 1;
    d.bodyClose = closingToken(t, close + 1);
    if (d.bodyClose == t.size()) continue;
    // extern "C" RETURN-TYPE NAME(: the words before the name.
    size_t k = i;
    while (k > 0 && (isIdentifier(t[k - 1]) || t[k - 1].text == "*") &&
           t[k - 1].text != "static" && t[k - 1].text != "extern")
      --k;
    if (k >= 2 && t[k - 1].text == "\"C\"" && t[k - 2].text == "extern") {
      d.cLinkage = true;
      d.externAt = k - 2;
    }
    defs.push_back(d);
  }
  // The innermost struct around each definition.
  for (size_t i = 0; i + 2 < t.size(); ++i) {
    if (t[i].text != "struct" || t[i + 2].text != "{") continue;
    size_t end = closingToken(t, i + 2);
    for (Def &d : defs)
      if (d.nameAt > i + 2 && d.nameAt < end && i + 2 > d.scopeOpen) {
        d.scope = t[i + 1].text;
        d.scopeOpen = i + 2;
      }
  }
  return defs;
}

/// The definition the name at t[i] refers to: `S::name` a member of S; a
/// plain name the member of an enclosing struct, else a free function.
const Def *resolve(const Tokens &t, const std::vector<Def> &defs, size_t i) {
  const Def *best = nullptr;
  // The tokenizer splits `::` in two.
  bool qualified = i >= 3 && t[i - 1].text == ":" && t[i - 2].text == ":";
  for (const Def &d : defs) {
    if (d.name != t[i].text) continue;
    if (qualified) {
      // S::name: a member of the last struct S defined before it.
      if (d.scope == t[i - 3].text && d.scopeOpen < i && (!best || d.scopeOpen > best->scopeOpen))
        best = &d;
      continue;
    }
    bool visible = d.scope.empty() || (i > d.scopeOpen && i < closingToken(t, d.scopeOpen));
    if (visible && (!best || d.scopeOpen > best->scopeOpen)) best = &d;
  }
  return best;
}

/// The `{` of the last `struct NAME {` before token `at`, or t.size():
/// the definition a use at `at` sees (the emitters define local structs
/// before their uses, and several kernels may each define one of a name).
size_t structBefore(const Tokens &t, const std::string &name, size_t at) {
  for (size_t i = std::min(at, t.size()); i-- > 0;)
    if (i + 2 < t.size() && t[i].text == "struct" && t[i + 1].text == name &&
        t[i + 2].text == "{")
      return i + 2;
  return t.size();
}

} // namespace

std::string threadTableParameter(const std::string &text) {
  const std::string globalDecl =
      "extern \"C\" const unsigned long long " + std::string(kTemplateTableSymbol) + "[];\n";
  const std::string src =
      text.compare(0, globalDecl.size(), globalDecl) == 0 ? text.substr(globalDecl.size()) : text;
  const Tokens t = tokenizeGeneratedCode(src, /*normalize=*/false).tokens;
  const std::string table = kTemplateTableSymbol, param = kTableParameter;
  std::vector<Def> defs = findDefinitions(t);
  auto index = [&](const Def *d) { return static_cast<size_t>(d - defs.data()); };

  // The innermost definition whose body holds token i (npos: none).
  std::vector<size_t> owner(t.size(), std::string::npos);
  for (size_t d = 0; d < defs.size(); ++d)
    for (size_t i = defs[d].bodyOpen + 1; i < defs[d].bodyClose; ++i)
      if (owner[i] == std::string::npos || defs[owner[i]].bodyOpen < defs[d].bodyOpen)
        owner[i] = d;
  // Calls (name + "(") and other uses of each definition's name.
  std::vector<std::pair<size_t, size_t>> calls; // token, callee
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    if (!isIdentifier(t[i])) continue;
    const Def *d = resolve(t, defs, i);
    if (!d || d->nameAt == i) continue;
    if (t[i + 1].text == "(") calls.emplace_back(i, index(d));
    else defs[index(d)].trampoline = true;
  }
  for (Def &d : defs) {
    if (!d.trampoline) continue;
    for (size_t i = d.bodyOpen + 1; i + 3 < d.bodyClose; ++i)
      if (t[i].text == "const" && t[i + 2].text == "*" && t[i + 3].text == "a") {
        d.argsType = t[i + 1].text;
        break;
      }
  }
  // A trampoline's callers fill its argument struct: `T NAME = {...};`.
  std::map<size_t, std::vector<size_t>> inits; // the struct's "{" -> the inits' "{"
  for (size_t i = 0; i + 3 < t.size(); ++i)
    if (isIdentifier(t[i]) && isIdentifier(t[i + 1]) && t[i + 2].text == "=" &&
        t[i + 3].text == "{")
      inits[structBefore(t, t[i].text, i)].push_back(i + 3);
  // A trampoline's struct: the one of its name it sees.
  auto argsOf = [&](const Def &d) { return structBefore(t, d.argsType, d.nameAt); };

  // Which functions need the table: one that reads gc_T, calls a function
  // that needs it, or fills the argument struct of a trampoline that does.
  for (bool changed = true; changed;) {
    changed = false;
    auto need = [&](size_t d) {
      if (!defs[d].threaded) defs[d].threaded = changed = true;
    };
    for (size_t i = 0; i < t.size(); ++i)
      if (t[i].text == table && owner[i] != std::string::npos) need(owner[i]);
    for (const auto &[at, callee] : calls)
      if (defs[callee].threaded && !defs[callee].trampoline && owner[at] != std::string::npos)
        need(owner[at]);
    for (const Def &d : defs)
      if (d.trampoline && d.threaded)
        for (size_t open : inits[argsOf(d)])
          if (owner[open] != std::string::npos) need(owner[open]);
  }

  CodeEdits edits;
  auto insertAfter = [&](size_t tok, const std::string &s) {
    edits.emplace_back(t[tok].end, t[tok].end, s);
  };
  auto fail = [&](const Def &d, const std::string &why) {
    return Error("the size table cannot reach '" + d.name + "' in the generated code: " + why);
  };
  for (Def &d : defs) {
    if (d.cLinkage) {
      // Every entry point takes the table, read or not, so that callers
      // call them all alike.
      edits.emplace_back(t[d.externAt].begin, t[d.externAt + 1].end, "static");
      if (d.trampoline) throw fail(d, "its address is taken");
    } else if (!d.threaded) {
      continue;
    }
    if (d.trampoline) {
      // The table travels in its argument struct.
      if (d.argsType.empty()) throw fail(d, "it is called through a pointer");
      size_t open = argsOf(d);
      if (open == t.size() || inits[open].empty())
        throw fail(d, "its argument struct '" + d.argsType + "' is not in the form gradc emits");
      insertAfter(open, " " + param + ";");
      for (size_t init : inits[open]) insertAfter(init, table + ", ");
      continue;
    }
    std::string decl = d.threaded ? param : "[[maybe_unused]] " + param;
    if (t[d.open + 1].text == ")") insertAfter(d.open, decl);
    else if (t[d.open + 1].text == "void" && t[d.open + 2].text == ")")
      edits.emplace_back(t[d.open + 1].begin, t[d.open + 1].end, decl);
    else insertAfter(d.open, decl + ", ");
  }
  // A call passes the caller's table, a trampoline's the one in its struct.
  for (const auto &[at, callee] : calls) {
    const Def &c = defs[callee];
    if (c.trampoline || !(c.threaded || c.cLinkage)) continue;
    bool viaStruct = owner[at] != std::string::npos && defs[owner[at]].trampoline;
    std::string arg = viaStruct ? "a->" + table : table;
    insertAfter(at + 1, t[at + 2].text == ")" ? arg : arg + ", ");
  }
  // Each read of the table now names a parameter, or the code is refused.
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].text == table && (owner[i] == std::string::npos || defs[owner[i]].trampoline))
      throw Error("the size table is read where no parameter can reach it (offset " +
                  std::to_string(t[i].begin) + " of the generated code)");

  return applyEdits(src, std::move(edits));
}

} // namespace gradc
