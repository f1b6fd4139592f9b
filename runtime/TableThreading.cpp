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

/// Index of the token closing the bracket opened at t[open], or t.size().
size_t closing(const Tokens &t, size_t open) {
  const std::string &o = t[open].text;
  const std::string c = o == "(" ? ")" : o == "{" ? "}" : "]";
  int depth = 0;
  for (size_t j = open; j < t.size(); ++j) {
    if (t[j].text == o) ++depth;
    if (t[j].text == c && --depth == 0) return j;
  }
  return t.size();
}

/// A function definition: NAME ( params ) { body }.
struct Def {
  std::string name;
  size_t nameAt = 0, open = 0, close = 0, bodyOpen = 0, bodyClose = 0;
  bool nested = false;  ///< Inside another definition's body (a local struct's member).
  bool cLinkage = false; ///< `extern "C"` before it: an entry point.
  size_t externAt = 0;   ///< The `extern` token, when cLinkage.
  bool threaded = false; ///< Takes the table.
  bool contains(size_t i) const { return i > bodyOpen && i < bodyClose; }
};

/// A parallel block (codegen/ParallelBlocks.cpp): `struct ID_args {...};`,
/// `struct ID { blocks(...) {...} run(...) {... blocks(a->..., b0, b1); } };`
/// and `ID_args ID_a = {...};` in the kernel's body.
struct Block {
  size_t blocksDef = 0;                    ///< Index in defs of ID::blocks.
  size_t argsOpen = 0, initOpen = 0, call = 0; ///< "{" of the struct, "{" of the init, the call's "(".
};

std::vector<Def> findDefinitions(const Tokens &t) {
  std::vector<Def> defs;
  for (size_t i = 1; i + 1 < t.size(); ++i) {
    if (!isIdentifier(t[i]) || isStatementWord(t[i].text) || t[i + 1].text != "(") continue;
    const std::string &before = t[i - 1].text;
    if (!(isIdentifier(t[i - 1]) || before == "*" || before == ">" || before == "&")) continue;
    if (isStatementWord(before) || before == "return" || before == "else") continue;
    size_t close = closing(t, i + 1);
    if (close + 1 >= t.size() || t[close + 1].text != "{") continue;
    Def d;
    d.name = t[i].text;
    d.nameAt = i;
    d.open = i + 1;
    d.close = close;
    d.bodyOpen = close + 1;
    d.bodyClose = closing(t, close + 1);
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
  for (Def &d : defs)
    for (const Def &o : defs)
      if (&o != &d && o.contains(d.nameAt)) d.nested = true;
  return defs;
}

/// The `{` after `struct NAME` in [from, to), or `to`.
size_t structBrace(const Tokens &t, const std::string &name, size_t from, size_t to) {
  for (size_t i = from; i + 2 < to; ++i)
    if (t[i].text == "struct" && t[i + 1].text == name && t[i + 2].text == "{") return i + 2;
  return to;
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

  std::map<std::string, size_t> topLevel; // name -> index in defs
  for (size_t d = 0; d < defs.size(); ++d)
    if (!defs[d].nested) {
      if (!topLevel.emplace(defs[d].name, d).second)
        throw Error("the size table cannot be passed to '" + defs[d].name +
                    "': the generated code defines it twice");
    }

  // The parallel blocks, found by the local struct that holds `blocks`.
  std::vector<Block> blocks;
  for (size_t d = 0; d < defs.size(); ++d) {
    if (!defs[d].nested || defs[d].name != "blocks") continue;
    const Def *outer = nullptr;
    for (const Def &o : defs)
      if (!o.nested && o.contains(defs[d].nameAt)) outer = &o;
    // The struct ID whose braces enclose the definition.
    std::string id;
    for (size_t i = outer->bodyOpen; i < defs[d].nameAt; ++i)
      if (t[i].text == "struct" && i + 2 < t.size() && t[i + 2].text == "{" &&
          closing(t, i + 2) > defs[d].bodyClose)
        id = t[i + 1].text;
    Block b;
    b.blocksDef = d;
    b.argsOpen = structBrace(t, id + "_args", outer->bodyOpen, outer->bodyClose);
    for (size_t i = outer->bodyOpen; i + 4 < outer->bodyClose && !b.initOpen; ++i)
      if (t[i].text == id + "_args" && t[i + 1].text == id + "_a" && t[i + 2].text == "=" &&
          t[i + 3].text == "{")
        b.initOpen = i + 3;
    for (const Def &run : defs)
      if (run.nested && run.name == "run" && outer->contains(run.nameAt) &&
          run.nameAt > defs[d].bodyClose && !b.call)
        for (size_t i = run.bodyOpen; i + 3 < run.bodyClose; ++i)
          if (t[i].text == "blocks" && t[i + 1].text == "(" && t[i + 2].text == "a" &&
              t[i + 3].text == "->") {
            b.call = i + 1;
            break;
          }
    if (id.empty() || b.argsOpen == outer->bodyClose || !b.initOpen || !b.call)
      throw Error("the size table cannot reach the parallel block in '" + outer->name +
                  "': its code is not in the form gradc emits");
    blocks.push_back(b);
  }

  // Which functions need the table: a read of gc_T in the body, or a call
  // of one that needs it; a parallel block's need makes its kernel's.
  auto reads = [&](const Def &d) {
    for (size_t i = d.bodyOpen + 1; i < d.bodyClose; ++i) {
      if (t[i].text == table) return true;
      auto callee = topLevel.find(t[i].text);
      if (callee != topLevel.end() && i + 1 < t.size() && t[i + 1].text == "(" &&
          i != d.nameAt && defs[callee->second].threaded)
        return true;
    }
    return false;
  };
  for (Def &d : defs)
    if (!d.nested && d.cLinkage) d.threaded = true;
  for (bool changed = true; changed;) {
    changed = false;
    for (Def &d : defs)
      if (!d.threaded && (!d.nested || d.name == "blocks") && reads(d)) d.threaded = changed = true;
  }

  std::vector<std::tuple<size_t, size_t, std::string>> edits; // [begin, end) -> text
  auto insertAfter = [&](size_t tok, const std::string &s) {
    edits.emplace_back(t[tok].end, t[tok].end, s);
  };
  // A parameter first: `(void)` and `()` take it alone.
  auto addParameter = [&](const Def &d, const std::string &decl) {
    if (t[d.open + 1].text == ")") insertAfter(d.open, decl);
    else if (t[d.open + 1].text == "void" && t[d.open + 2].text == ")")
      edits.emplace_back(t[d.open + 1].begin, t[d.open + 1].end, decl);
    else insertAfter(d.open, decl + ", ");
  };
  for (const Def &d : defs) {
    if (d.nested || !d.threaded) continue;
    if (d.cLinkage) {
      edits.emplace_back(t[d.externAt].begin, t[d.externAt + 1].end, "static");
      // An entry point that reads nothing of the table (the sizes did not
      // change it) still takes it, unused.
      bool used = false;
      for (size_t i = d.bodyOpen; i < d.bodyClose && !used; ++i) used = t[i].text == table;
      addParameter(d, used || reads(d) ? param : "[[maybe_unused]] " + param);
    } else {
      addParameter(d, param);
    }
  }
  for (const Block &b : blocks) {
    const Def &d = defs[b.blocksDef];
    if (!d.threaded) continue;
    addParameter(d, param);
    insertAfter(b.argsOpen, " " + param + ";");
    insertAfter(b.initOpen, table + ", ");
    insertAfter(b.call, "a->" + table + ", ");
  }
  // Every call of a threaded function passes the table; it may not be
  // named otherwise (its address taken).
  for (size_t i = 0; i < t.size(); ++i) {
    auto callee = topLevel.find(t[i].text);
    if (callee == topLevel.end() || !defs[callee->second].threaded ||
        defs[callee->second].nameAt == i)
      continue;
    if (i + 1 >= t.size() || t[i + 1].text != "(")
      throw Error("the size table cannot be passed to '" + t[i].text +
                  "': the generated code takes its address");
    insertAfter(i + 1, t[i + 2].text == ")" ? table : table + ", ");
  }
  // Each read of the table now names a parameter, or the code is refused.
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].text != table) continue;
    bool reached = false;
    for (const Def &d : defs)
      if (d.threaded && d.contains(i)) {
        // A nested function reaches it only as a threaded block function.
        bool inInner = false;
        for (const Def &in : defs)
          if (&in != &d && in.nested && d.contains(in.nameAt) && in.contains(i) && !in.threaded)
            inInner = true;
        reached |= !inInner;
      }
    if (!reached)
      throw Error("the size table is read where no parameter can reach it (offset " +
                  std::to_string(t[i].begin) + " of the generated code)");
  }

  std::sort(edits.begin(), edits.end());
  std::string out;
  size_t at = 0;
  for (const auto &[b, e, s] : edits) {
    out.append(src, at, b - at);
    out += s;
    at = e;
  }
  out.append(src, at, std::string::npos);
  return out;
}

} // namespace gradc
