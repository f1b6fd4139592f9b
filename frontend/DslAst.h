//===- frontend/DslAst.h - Syntax tree of the DSL --------------*- C++ -*-===//
//
// The parser (DslParser) builds this tree; the lowering (DslLower) walks it
// and builds IR through GraphBuilder. The tree is purely syntactic: whether
// `x.sum(1)` is a method call on a tensor or `F.relu(x)` a function call
// with a module prefix is decided during lowering, where the names that are
// defined are known.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_DSLAST_H
#define GRADC_FRONTEND_DSLAST_H

#include "frontend/Diagnostics.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gradc {

/// Deepest expression nesting the parser accepts. Deeper input is an error
/// rather than a stack overflow in the recursive parser and lowering.
constexpr int kMaxDslExprDepth = 256;
/// Deepest nesting of `with` blocks the parser accepts.
constexpr int kMaxDslBlockDepth = 100;

struct Expr;
/// Owning pointer to an expression; null marks an omitted slice bound.
using ExprPtr = std::unique_ptr<Expr>;

/// A keyword argument `name=value` of a call.
struct Keyword {
  std::string name;
  SourceLoc loc;
  ExprPtr value;
};

/// One expression node.
struct Expr {
  enum Kind {
    Name,      ///< `x` or `backticked`: text = name, quoted = backticks.
    Temp,      ///< `$t`: text = "$t".
    Number,    ///< Literal: num, and isInt/uval/overflow/negative.
    String,    ///< "...": text = value.
    Bool,      ///< True/False: boolValue.
    None,      ///< None.
    List,      ///< [a, b]: items.
    Tuple,     ///< (a, b) or (a,): items.
    Unary,     ///< text = "-" or "+"; items = {operand}; loc = operator.
    Binary,    ///< text = operator; items = {lhs, rhs}; loc = operator.
    Call,      ///< items = {callee, positional args...}; keywords.
    Attribute, ///< base.text: items = {base}; loc = the attribute name.
    Subscript, ///< base[...]: items = {base, index...}; loc = '['.
    Slice,     ///< a:b:c inside []: items = {start, end, step}, each or null.
  };

  Kind kind;
  SourceLoc loc;   ///< Where errors about this node point (see Kind).
  SourceLoc start; ///< First character of the whole expression.
  std::string text;
  bool quoted = false;
  // Number literals. Negation is folded into the literal by the parser, so
  // `-1` and `-1.5` are literals, not negations.
  double num = 0;
  bool isInt = false;
  bool overflow = false; ///< Integer magnitude does not fit uint64_t.
  bool negative = false; ///< Integer: the value is -uval.
  uint64_t uval = 0;
  bool boolValue = false;
  std::vector<ExprPtr> items;
  std::vector<Keyword> keywords;
  /// Recursion the lowering needs for this subtree (bounded by
  /// kMaxDslExprDepth): its height, except that the left operand of a
  /// binary operator adds no level, since a left-associative chain
  /// (x + x + ... + x) is lowered by a loop.
  int depth = 1;

  Expr(Kind k, SourceLoc l) : kind(k), loc(l), start(l) {}
  /// Frees the subtree without recursing: a flat chain of a million terms
  /// is a tree a million levels deep.
  ~Expr() {
    std::vector<ExprPtr> pending;
    auto release = [&pending](Expr &e) {
      for (ExprPtr &c : e.items)
        if (c) pending.push_back(std::move(c));
      for (Keyword &k : e.keywords)
        if (k.value) pending.push_back(std::move(k.value));
    };
    release(*this);
    while (!pending.empty()) {
      ExprPtr e = std::move(pending.back());
      pending.pop_back();
      release(*e); // e is then freed with no children left
    }
  }
  Expr(const Expr &) = delete;
  Expr &operator=(const Expr &) = delete;
  /// The callee of a Call.
  const Expr &callee() const { return *items[0]; }
};

struct Stmt;
/// Owning pointer to a statement.
using StmtPtr = std::unique_ptr<Stmt>;

/// One statement.
struct Stmt {
  enum Kind {
    Assign, ///< target = value (target is a name or a $temp).
    With,   ///< with value: body.
    Return, ///< return values...
    Graph,  ///< graph target.
    ExprStmt, ///< A bare expression (an error during lowering).
    Poison, ///< `target = ...` whose right side had a syntax error.
    Pass,   ///< pass, or an ignored `import` line.
  };

  Kind kind;
  SourceLoc loc;         ///< First token of the statement.
  std::string target;    ///< Assign/Poison/Graph: the name.
  bool targetTemp = false;
  SourceLoc targetLoc;
  ExprPtr value;         ///< Assign/ExprStmt: the expression; With: context.
  std::vector<ExprPtr> values; ///< Return.
  std::vector<StmtPtr> body;   ///< With.

  Stmt(Kind k, SourceLoc l) : kind(k), loc(l) {}
};

} // namespace gradc

#endif // GRADC_FRONTEND_DSLAST_H
