//===- frontend/DslParser.cpp - The DSL frontend --------------------------===//
//
// Recursive descent over the token list, one function per precedence level
// (Python's, from loosest to tightest):
//
//   comparison  < <= > >= == !=     (not chained: a < b < c is an error)
//   arith       + -                 (left-associative)
//   term        * / @               (left-associative)
//   unary       - +                 (prefix)
//   power       **                  (right-associative; binds tighter than a
//                                    unary minus on its left: -x**2 is
//                                    -(x**2); its right operand is a unary:
//                                    x ** -1)
//   postfix     f(args)  x.name  x[slices]
//   atom        name `name` $temp number string True False None inf nan
//               (expr) (a, b) [a, b]
//
//===----------------------------------------------------------------------===//
#include "frontend/DslParser.h"

#include "frontend/DslLower.h"
#include "frontend/DslNames.h"
#include "ir/Error.h"
#include "ir/Limits.h"

#include <algorithm>
#include <cmath>

namespace gradc {

namespace {

/// Unwinds to the statement being parsed; the error is already reported.
struct SyntaxError {};

std::string describe(const Token &t) {
  switch (t.kind) {
  case TokKind::Name:
    return t.quoted ? "name " + dslQuote(t.text, '`') : "'" + t.text + "'";
  case TokKind::Temp: return "'" + t.text + "'";
  case TokKind::Number: return "number '" + t.text + "'";
  case TokKind::String: return "a string";
  case TokKind::Op: return "'" + t.text + "'";
  case TokKind::Newline: return "end of line";
  case TokKind::Indent: return "an indented line";
  case TokKind::Dedent: return "the end of the block";
  case TokKind::Eof: return "end of file";
  case TokKind::Error: return "an invalid token";
  }
  return "?";
}

bool isCompareOp(const Token &t) {
  static const char *ops[] = {"<", "<=", ">", ">=", "==", "!="};
  if (t.kind != TokKind::Op) return false;
  for (const char *o : ops)
    if (t.text == o) return true;
  return false;
}

class Parser {
public:
  Parser(const std::vector<Token> &toks, Diagnostics &diags)
      : t_(toks), diags_(diags), maxNodes_(defaultMaxNodes()) {}

  std::vector<StmtPtr> program() {
    std::vector<StmtPtr> out;
    statements(out, /*inBlock=*/false);
    return out;
  }

private:
  const Token &cur() const { return t_[i_]; }
  const Token &ahead(size_t k) const {
    return t_[std::min(i_ + k, t_.size() - 1)];
  }
  void next() {
    if (cur().kind != TokKind::Eof) ++i_;
  }
  [[noreturn]] void fail(SourceLoc loc, const std::string &msg) {
    if (!cur().unclosed) diags_.error(loc, msg);
    throw SyntaxError();
  }
  /// "expected WHAT, got <current token>"; silent on an Error token, which
  /// the lexer has reported already.
  [[noreturn]] void expected(const std::string &what) {
    if (cur().kind == TokKind::Error) throw SyntaxError();
    fail(cur().loc, "expected " + what + ", got " + describe(cur()));
  }
  void expectOp(const char *op, const std::string &what) {
    if (!cur().isOp(op)) expected(what);
    next();
  }

  /// Counts recursion depth so that hostile nesting is an error, not a
  /// stack overflow. Every recursive path goes through expr(), unary() or
  /// power(), so guarding those bounds the recursion; one nesting level of
  /// parentheses, brackets or call arguments costs one level.
  struct DepthGuard {
    Parser &p;
    explicit DepthGuard(Parser &parser) : p(parser) {
      if (++p.depth_ > kMaxDslExprDepth) p.tooDeep();
    }
    ~DepthGuard() { --p.depth_; }
  };
  [[noreturn]] void tooDeep() {
    fail(cur().loc, "expression is nested too deeply (the limit is " +
                        std::to_string(kMaxDslExprDepth) + " levels)");
  }
  /// Sets e's height from its children. Left-associative chains and
  /// postfix chains grow the tree without recursing here, so the bound is
  /// checked on the tree too: the lowering recurses over it.
  ExprPtr seal(ExprPtr e) {
    int d = 0;
    for (const ExprPtr &c : e->items)
      if (c) d = std::max(d, c->depth);
    for (const Keyword &k : e->keywords) d = std::max(d, k.value->depth);
    e->depth = d + 1;
    // The lowering walks a binary operator's left spine in a loop: only
    // its right operands, and the spine's far end, cost a level.
    if (e->kind == Expr::Binary && e->items[0]->kind == Expr::Binary)
      e->depth = std::max(e->items[0]->depth, e->items[1]->depth + 1);
    if (e->depth > kMaxDslExprDepth) tooDeep();
    return e;
  }
  ExprPtr binary(const Token &op, ExprPtr l, ExprPtr r) {
    auto e = std::make_unique<Expr>(Expr::Binary, op.loc);
    e->text = op.text;
    e->start = l->start;
    e->items.push_back(std::move(l));
    e->items.push_back(std::move(r));
    return seal(std::move(e));
  }

  void statements(std::vector<StmtPtr> &out, bool inBlock);
  void statement(std::vector<StmtPtr> &out);
  void simpleStatements(std::vector<StmtPtr> &out);
  StmtPtr simple();
  StmtPtr withStmt();
  void skipBlock();
  void recover();

  ExprPtr expr();
  ExprPtr arith();
  ExprPtr term();
  ExprPtr unary();
  ExprPtr power();
  ExprPtr postfix();
  ExprPtr atom();
  ExprPtr sequence(Expr::Kind kind, const char *close);
  void callArgs(Expr &call);
  ExprPtr subscriptItem();

  const std::vector<Token> &t_;
  Diagnostics &diags_;
  size_t i_ = 0;
  int depth_ = 0;
  int blockDepth_ = 0;
  uint64_t maxNodes_;           ///< defaultMaxNodes() (GRADC_MAX_NODES)
  uint64_t statementCount_ = 0; ///< Statements read so far.
  /// The target of the assignment being parsed, to poison on an error.
  StmtPtr pendingTarget_;
};

void Parser::statements(std::vector<StmtPtr> &out, bool inBlock) {
  while (cur().kind != TokKind::Eof) {
    if (cur().kind == TokKind::Dedent) {
      if (inBlock) return;
      next(); // Only after a broken block structure; nothing to report.
      continue;
    }
    size_t before = i_;
    // Nearly every statement defines a node: past the node limit, stop
    // reading rather than build the syntax tree of a huge file.
    if (++statementCount_ > maxNodes_ + 2) {
      diags_.error(cur().loc,
                   "more than " + std::to_string(maxNodes_) +
                       " statements, past the node limit of " +
                       std::to_string(maxNodes_) +
                       " (set GRADC_MAX_NODES to raise it)");
      throw TooManyErrors();
    }
    statement(out);
    if (i_ == before) next(); // Always make progress.
  }
}

void Parser::recover() {
  if (pendingTarget_) {
    pendingTarget_->kind = Stmt::Poison;
    pendingTarget_.reset();
  }
  while (cur().kind != TokKind::Newline && cur().kind != TokKind::Eof &&
         cur().kind != TokKind::Dedent && cur().kind != TokKind::Indent)
    next();
  if (cur().kind == TokKind::Newline) next();
}

void Parser::skipBlock() {
  // Skips an indented block iteratively (it may itself be deeply nested).
  int level = 0;
  while (cur().kind != TokKind::Eof) {
    if (cur().kind == TokKind::Indent) ++level;
    if (cur().kind == TokKind::Dedent && --level <= 0) {
      next();
      return;
    }
    next();
  }
}

void Parser::statement(std::vector<StmtPtr> &out) {
  if (cur().kind == TokKind::Indent) {
    // Report once, then read the block as if it were not indented.
    diags_.error(cur().loc, "unexpected indent");
    if (blockDepth_ >= kMaxDslBlockDepth) {
      skipBlock();
      return;
    }
    next();
    ++blockDepth_;
    statements(out, /*inBlock=*/true);
    --blockDepth_;
    if (cur().kind == TokKind::Dedent) next();
    return;
  }
  if (cur().isWord("with")) {
    try {
      out.push_back(withStmt());
    } catch (const SyntaxError &) {
      recover();
      // The block under a broken `with` line is still read, so that its
      // statements are checked and its names are defined.
      if (cur().kind == TokKind::Indent) {
        next();
        auto w = std::make_unique<Stmt>(Stmt::With, cur().loc);
        ++blockDepth_;
        if (blockDepth_ > kMaxDslBlockDepth) skipBlock();
        else statements(w->body, true);
        --blockDepth_;
        if (cur().kind == TokKind::Dedent) next();
        out.push_back(std::move(w)); // A null context: lowered as no_grad.
      }
    }
    return;
  }
  simpleStatements(out);
}

void Parser::simpleStatements(std::vector<StmtPtr> &out) {
  try {
    while (true) {
      out.push_back(simple());
      pendingTarget_.reset();
      if (cur().isOp(";")) {
        next();
        if (cur().kind == TokKind::Newline) break;
        continue;
      }
      break;
    }
    if (cur().kind != TokKind::Newline && cur().kind != TokKind::Eof)
      expected("end of line");
    next();
  } catch (const SyntaxError &) {
    if (pendingTarget_) out.push_back(std::move(pendingTarget_));
    recover();
  }
}

StmtPtr Parser::simple() {
  const Token &t = cur();
  SourceLoc loc = t.loc;
  bool isTarget = (t.kind == TokKind::Name || t.kind == TokKind::Temp) &&
                  ahead(1).isOp("=");
  if (isTarget) {
    if (t.kind == TokKind::Name && !t.quoted && isDslKeyword(t.text))
      fail(loc, "cannot assign to the reserved word '" + t.text +
                    "'; write `" + t.text + "` to use it as a name");
    auto s = std::make_unique<Stmt>(Stmt::Assign, loc);
    s->target = t.text;
    s->targetTemp = t.kind == TokKind::Temp;
    s->targetLoc = loc;
    next();
    next();
    pendingTarget_ = std::make_unique<Stmt>(Stmt::Poison, loc);
    pendingTarget_->target = s->target;
    pendingTarget_->targetTemp = s->targetTemp;
    pendingTarget_->targetLoc = loc;
    s->value = expr();
    if (cur().isOp("="))
      fail(cur().loc, "chained assignment (a = b = ...) is not supported");
    return s;
  }
  if (t.isWord("return")) {
    next();
    auto s = std::make_unique<Stmt>(Stmt::Return, loc);
    if (cur().kind == TokKind::Newline || cur().isOp(";"))
      fail(cur().loc, "'return' needs at least one output name");
    s->values.push_back(expr());
    while (cur().isOp(",")) {
      next();
      if (cur().kind == TokKind::Newline || cur().isOp(";")) break;
      s->values.push_back(expr());
    }
    return s;
  }
  if (t.isWord("pass")) {
    next();
    return std::make_unique<Stmt>(Stmt::Pass, loc);
  }
  if (t.isWord("import") || t.isWord("from")) {
    // Pasted PyTorch code starts with `import torch`: such lines are
    // accepted and ignored.
    while (cur().kind != TokKind::Newline && cur().kind != TokKind::Eof &&
           !cur().isOp(";"))
      next();
    return std::make_unique<Stmt>(Stmt::Pass, loc);
  }
  if (t.isWord("graph") && ahead(1).kind == TokKind::Name &&
      (ahead(2).kind == TokKind::Newline || ahead(2).isOp(";"))) {
    next();
    auto s = std::make_unique<Stmt>(Stmt::Graph, loc);
    s->target = cur().text;
    s->targetLoc = cur().loc;
    next();
    return s;
  }
  if (t.kind == TokKind::Name && !t.quoted && isDslKeyword(t.text) &&
      t.text != "True" && t.text != "False" && t.text != "None" &&
      t.text != "inf" && t.text != "nan")
    fail(loc, "'" + t.text + "' statements are not supported: a .grad file "
                             "describes one static graph (see docs/dsl.md)");
  auto s = std::make_unique<Stmt>(Stmt::ExprStmt, loc);
  s->value = expr();
  if (cur().isOp("="))
    fail(cur().loc, "cannot assign to this expression; assignments bind a "
                    "plain name (x.grad and x[...] cannot be assigned)");
  return s;
}

StmtPtr Parser::withStmt() {
  SourceLoc loc = cur().loc;
  next();
  auto s = std::make_unique<Stmt>(Stmt::With, loc);
  s->value = expr();
  if (cur().isOp(","))
    fail(cur().loc, "only one context manager per 'with' is supported");
  if (cur().isWord("as"))
    fail(cur().loc, "'with ... as NAME' is not supported; write "
                    "'with no_grad:'");
  expectOp(":", "':' after the 'with' context");
  if (cur().kind != TokKind::Newline) { // with no_grad: y = x * 2
    simpleStatements(s->body);
    return s;
  }
  next();
  if (cur().kind != TokKind::Indent) {
    // Reported without skipping: the next line is a statement of its own.
    diags_.error(cur().loc, "expected an indented block after 'with'");
    return s;
  }
  if (blockDepth_ >= kMaxDslBlockDepth) {
    diags_.error(cur().loc, "blocks are nested too deeply (the limit is " +
                                std::to_string(kMaxDslBlockDepth) + ")");
    skipBlock();
    return s;
  }
  next();
  ++blockDepth_;
  statements(s->body, /*inBlock=*/true);
  --blockDepth_;
  if (cur().kind == TokKind::Dedent) next();
  return s;
}

ExprPtr Parser::expr() {
  DepthGuard g(*this);
  ExprPtr l = arith();
  if (!isCompareOp(cur())) return l;
  Token op = cur();
  next();
  ExprPtr e = binary(op, std::move(l), arith());
  if (isCompareOp(cur()))
    fail(cur().loc, "chained comparisons (a < b < c) are not supported; add "
                    "parentheses");
  return e;
}

ExprPtr Parser::arith() {
  ExprPtr l = term();
  while (cur().isOp("+") || cur().isOp("-")) {
    Token op = cur();
    next();
    l = binary(op, std::move(l), term());
  }
  return l;
}

ExprPtr Parser::term() {
  ExprPtr l = unary();
  while (cur().isOp("*") || cur().isOp("/") || cur().isOp("@")) {
    Token op = cur();
    next();
    l = binary(op, std::move(l), unary());
  }
  return l;
}

ExprPtr Parser::unary() {
  if (!cur().isOp("-") && !cur().isOp("+")) return power();
  DepthGuard g(*this);
  Token op = cur();
  next();
  ExprPtr x = unary();
  if (x->kind == Expr::Number) {
    // A signed literal stays a literal (`x * -1` multiplies by the
    // constant -1; no neg node), also when parenthesized: -(2).
    if (op.text == "-") {
      x->num = -x->num;
      x->negative = !x->negative;
    }
    x->start = op.loc;
    return x;
  }
  auto e = std::make_unique<Expr>(Expr::Unary, op.loc);
  e->text = op.text;
  e->items.push_back(std::move(x));
  return seal(std::move(e));
}

ExprPtr Parser::power() {
  ExprPtr base = postfix();
  if (!cur().isOp("**")) return base;
  DepthGuard g(*this);
  Token op = cur();
  next();
  return binary(op, std::move(base), unary());
}

ExprPtr Parser::postfix() {
  ExprPtr e = atom();
  while (true) {
    if (cur().isOp("(")) {
      auto call = std::make_unique<Expr>(Expr::Call, e->loc);
      call->start = e->start;
      call->items.push_back(std::move(e));
      next();
      callArgs(*call);
      e = seal(std::move(call));
    } else if (cur().isOp(".")) {
      next();
      if (cur().kind != TokKind::Name) expected("a name after '.'");
      auto a = std::make_unique<Expr>(Expr::Attribute, cur().loc);
      a->text = cur().text;
      a->quoted = cur().quoted;
      a->start = e->start;
      a->items.push_back(std::move(e));
      next();
      e = seal(std::move(a));
    } else if (cur().isOp("[")) {
      auto s = std::make_unique<Expr>(Expr::Subscript, cur().loc);
      s->start = e->start;
      s->items.push_back(std::move(e));
      next();
      if (cur().isOp("]")) fail(cur().loc, "expected a slice inside '[]'");
      while (!cur().isOp("]")) {
        s->items.push_back(subscriptItem());
        if (!cur().isOp(",")) break;
        next();
      }
      expectOp("]", "',' or ']' in the subscript");
      e = seal(std::move(s));
    } else {
      return e;
    }
  }
}

ExprPtr Parser::subscriptItem() {
  SourceLoc loc = cur().loc;
  ExprPtr first;
  if (!cur().isOp(":")) {
    first = expr();
    if (!cur().isOp(":")) return first;
  }
  auto s = std::make_unique<Expr>(Expr::Slice, loc);
  next(); // ':'
  auto bound = [&]() -> ExprPtr {
    if (cur().isOp(",") || cur().isOp("]") || cur().isOp(":")) return nullptr;
    return expr();
  };
  s->items.push_back(std::move(first));
  s->items.push_back(bound());
  ExprPtr step;
  if (cur().isOp(":")) {
    next();
    step = bound();
  }
  s->items.push_back(std::move(step));
  return seal(std::move(s));
}

void Parser::callArgs(Expr &call) {
  while (!cur().isOp(")")) {
    if (cur().kind == TokKind::Name && !cur().quoted && ahead(1).isOp("=")) {
      Keyword k;
      k.name = cur().text;
      k.loc = cur().loc;
      for (const Keyword &o : call.keywords)
        if (o.name == k.name)
          fail(k.loc, "keyword argument '" + k.name + "' is repeated");
      next();
      next();
      k.value = expr();
      call.keywords.push_back(std::move(k));
    } else {
      if (!call.keywords.empty())
        fail(cur().loc, "positional argument follows keyword argument");
      call.items.push_back(expr());
    }
    if (!cur().isOp(",")) break;
    next();
  }
  expectOp(")", "',' or ')' in the argument list");
}

ExprPtr Parser::sequence(Expr::Kind kind, const char *close) {
  auto e = std::make_unique<Expr>(kind, cur().loc);
  next();
  while (!cur().isOp(close)) {
    e->items.push_back(expr());
    if (!cur().isOp(",")) break;
    next();
  }
  expectOp(close, std::string("',' or '") + close + "'");
  return seal(std::move(e));
}

ExprPtr Parser::atom() {
  const Token &t = cur();
  if (t.kind == TokKind::Name) {
    auto e = std::make_unique<Expr>(Expr::Name, t.loc);
    e->text = t.text;
    e->quoted = t.quoted;
    if (!t.quoted && isDslKeyword(t.text)) {
      if (t.text == "True" || t.text == "False") {
        e->kind = Expr::Bool;
        e->boolValue = t.text == "True";
      } else if (t.text == "None") {
        e->kind = Expr::None;
      } else if (t.text == "inf" || t.text == "nan") {
        e->kind = Expr::Number;
        e->num = t.text == "inf" ? HUGE_VAL : std::nan("");
      } else {
        fail(t.loc, "'" + t.text + "' is a reserved word; write `" + t.text +
                        "` to use it as a name");
      }
    }
    next();
    return e;
  }
  if (t.kind == TokKind::Temp) {
    auto e = std::make_unique<Expr>(Expr::Temp, t.loc);
    e->text = t.text;
    next();
    return e;
  }
  if (t.kind == TokKind::Number) {
    auto e = std::make_unique<Expr>(Expr::Number, t.loc);
    e->num = t.num;
    e->isInt = t.isInt;
    e->uval = t.uval;
    e->overflow = t.overflow;
    e->text = t.text;
    next();
    return e;
  }
  if (t.kind == TokKind::String) {
    auto e = std::make_unique<Expr>(Expr::String, t.loc);
    e->text = t.text;
    next();
    return e;
  }
  if (t.isOp("[")) return sequence(Expr::List, "]");
  if (t.isOp("(")) {
    SourceLoc loc = t.loc;
    next();
    if (cur().isOp(")")) { // () is the empty tuple.
      next();
      return std::make_unique<Expr>(Expr::Tuple, loc);
    }
    ExprPtr e = expr();
    if (!cur().isOp(",")) {
      expectOp(")", "')'");
      return e; // Parentheses only group.
    }
    auto tup = std::make_unique<Expr>(Expr::Tuple, loc);
    tup->items.push_back(std::move(e));
    while (cur().isOp(",")) {
      next();
      if (cur().isOp(")")) break;
      tup->items.push_back(expr());
    }
    expectOp(")", "',' or ')'");
    return seal(std::move(tup));
  }
  expected("an expression");
}

} // namespace

std::vector<StmtPtr> parseDslProgram(const std::vector<Token> &tokens,
                                     Diagnostics &diags) {
  return Parser(tokens, diags).program();
}

std::string dslDefaultGraphName(const std::string &fileName) {
  std::string base = fileName.substr(fileName.find_last_of("/\\") + 1);
  size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base.empty() ? "graph" : base;
}

std::unique_ptr<Graph> parseDslGraph(const std::string &text,
                                     const std::string &fileName,
                                     const SizeBinder &bind) {
  Diagnostics diags(text, fileName);
  std::unique_ptr<Graph> g;
  try {
    std::vector<Token> toks = lexDsl(text, diags);
    std::vector<StmtPtr> prog = parseDslProgram(toks, diags);
    // A program with syntax errors is only lowered to report more of them.
    SizeBinding sizes;
    if (bind && !diags.hasErrors()) sizes = bind(dslProgramSignature(prog, fileName));
    g = lowerDslProgram(prog, dslDefaultGraphName(fileName), diags, sizes);
  } catch (const TooManyErrors &) {
  }
  if (diags.hasErrors() || !g) {
    if (!diags.hasErrors())
      diags.error({}, "internal error: the DSL frontend built no graph");
    throw Error::located(diags.render());
  }
  return g;
}

} // namespace gradc
