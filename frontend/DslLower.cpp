//===- frontend/DslLower.cpp - DSL statements and expressions to IR -------===//
#include "frontend/DslLower.h"

#include "frontend/DslNames.h"
#include "ir/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gradc {

namespace {

/// A user name as messages show it: 'y', or backticked when it is not a
/// plain identifier (`my name`), so that odd names stay readable.
std::string shown(const std::string &name) {
  return isDslIdentifier(name) ? "'" + name + "'" : dslQuote(name, '`');
}

OpKind binaryOp(const std::string &op) {
  if (op == "+") return OpKind::Add;
  if (op == "-") return OpKind::Sub;
  if (op == "*") return OpKind::Mul;
  if (op == "/") return OpKind::Div;
  if (op == "@") return OpKind::Matmul;
  if (op == "**") return OpKind::Pow;
  if (op == "<") return OpKind::Lt;
  if (op == "<=") return OpKind::Le;
  if (op == ">") return OpKind::Gt;
  if (op == ">=") return OpKind::Ge;
  if (op == "==") return OpKind::Eq;
  return OpKind::Ne;
}

const char *kindName(DslValue::Kind k) {
  switch (k) {
  case DslValue::Tensor: return "a tensor";
  case DslValue::Number: return "a number";
  case DslValue::Bool: return "a bool";
  case DslValue::String: return "a string";
  case DslValue::None: return "None";
  case DslValue::List: return "a list";
  }
  return "?";
}

} // namespace

std::string DslLowerer::didYouMean(const std::string &name,
                                   const std::vector<std::string> &cands) {
  // Edit distance is quadratic in the name length: very long names get no
  // suggestion rather than a slow one.
  const size_t kMaxLen = 64;
  if (name.size() > kMaxLen) return "";
  std::vector<std::string> near;
  for (const std::string &c : cands)
    if (c.size() <= kMaxLen && c != name) near.push_back(c);
  auto best = closestName(name, near);
  if (!best) return "";
  return "; did you mean " + shown(*best) + "?";
}

void DslLowerer::fail(SourceLoc loc, const std::string &msg) {
  d_.error(loc, msg);
  throw Failed();
}

DslValue DslLowerer::tensor(Node *n, SourceLoc loc) const {
  DslValue v;
  v.kind = DslValue::Tensor;
  v.node = n;
  v.loc = loc;
  return v;
}

void DslLowerer::program(const std::vector<StmtPtr> &stmts,
                         const Stmt *graphStmt) {
  graphStmt_ = graphStmt;
  statements(stmts);
}

void DslLowerer::statements(const std::vector<StmtPtr> &stmts) {
  for (const StmtPtr &s : stmts) {
    try {
      statement(*s);
    } catch (const Failed &) {
    }
  }
}

void DslLowerer::statement(const Stmt &s) {
  if (sawReturn_ && !reportedAfterReturn_ && s.kind != Stmt::Pass) {
    reportedAfterReturn_ = true;
    d_.error(s.loc, "statement after 'return' (at " + locString(returnLoc_) +
                        "); 'return' must come last");
  }
  switch (s.kind) {
  case Stmt::Assign: assign(s); break;
  case Stmt::Poison: {
    auto &table = s.targetTemp ? temps_ : names_;
    if (!table.count(s.target)) {
      table[s.target] = {nullptr, s.targetLoc};
      (s.targetTemp ? tempOrder_ : nameOrder_).push_back(s.target);
    }
    break;
  }
  case Stmt::With: withStmt(s); break;
  case Stmt::Return: returnStmt(s); break;
  case Stmt::Graph:
    if (&s != graphStmt_)
      fail(s.loc, "'graph NAME' must be the first statement of the file");
    break;
  case Stmt::ExprStmt: exprStmt(s); break;
  case Stmt::Pass: break;
  }
}

void DslLowerer::assign(const Stmt &s) {
  auto &table = s.targetTemp ? temps_ : names_;
  auto it = table.find(s.target);
  if (it != table.end())
    fail(s.targetLoc, (s.targetTemp ? "'" + s.target + "'" : shown(s.target)) +
                          " is already defined at " +
                          locString(it->second.def) +
                          "; a graph defines each name once");
  rootName_ = s.targetTemp ? "" : s.target;
  rootMade_ = false;
  Symbol sym{nullptr, s.targetLoc};
  try {
    DslValue v = eval(*s.value, /*root=*/true);
    if (!rootMade_) {
      if (v.kind == DslValue::Tensor)
        fail(s.value->start,
             "this assignment computes nothing: the right side is an "
             "existing value, and a graph cannot give one value two names "
             "(use it directly, or write a computation)");
      if (v.kind == DslValue::Number)
        fail(s.value->start,
             "cannot assign a number: constants are created from number "
             "literals used as operands (like x * 2)");
      fail(s.value->start, std::string("cannot assign ") + kindName(v.kind) +
                               "; the right side must compute a tensor");
    }
    sym.node = v.node;
  } catch (const Failed &) {
  }
  table[s.target] = sym;
  (s.targetTemp ? tempOrder_ : nameOrder_).push_back(s.target);
}

void DslLowerer::withStmt(const Stmt &s) {
  bool ng = true;
  if (s.value) {
    // Accepted: no_grad, no_grad(), torch.no_grad() (any module prefix),
    // and enable_grad in the same spellings.
    const Expr *c = s.value.get();
    if (c->kind == Expr::Call && c->items.size() == 1 && c->keywords.empty())
      c = c->items[0].get();
    bool prefixOk = c->kind == Expr::Name ||
                    (c->kind == Expr::Attribute && isModulePath(*c->items[0]));
    if (prefixOk && !c->quoted && c->text == "enable_grad") {
      ng = false;
    } else if (!prefixOk || c->quoted || c->text != "no_grad") {
      d_.error(s.value->start, "unsupported 'with' context: only 'with "
                               "no_grad:' (or torch.no_grad()) and "
                               "enable_grad blocks are supported");
    }
  }
  bool saved = noGrad_;
  noGrad_ = ng;
  statements(s.body);
  noGrad_ = saved;
}

void DslLowerer::returnStmt(const Stmt &s) {
  if (sawReturn_)
    fail(s.loc, "a second 'return' (the first is at " +
                    locString(returnLoc_) + "); list every output in one");
  sawReturn_ = true;
  returnLoc_ = s.loc;
  std::vector<const Expr *> outs;
  for (const ExprPtr &e : s.values) {
    if (s.values.size() == 1 &&
        (e->kind == Expr::Tuple || e->kind == Expr::List)) {
      for (const ExprPtr &i : e->items) outs.push_back(i.get());
      if (e->items.empty()) fail(e->start, "'return' needs an output name");
    } else {
      outs.push_back(e.get());
    }
  }
  for (const Expr *e : outs) {
    try {
      if (e->kind == Expr::Temp)
        fail(e->loc, "cannot return the temporary " + e->text +
                         ": outputs need names; assign it to a plain name");
      if (e->kind != Expr::Name)
        fail(e->start, "'return' lists the names of outputs; assign this "
                       "expression to a name first (out = ...)");
      DslValue v = evalName(*e);
      (void)v;
      try {
        b_.addOutput(e->text);
      } catch (const Error &err) {
        fail(e->loc, err.what());
      }
    } catch (const Failed &) {
    }
  }
}

void DslLowerer::exprStmt(const Stmt &s) {
  const Expr &e = *s.value;
  std::string fn;
  if (e.kind == Expr::Call && (e.callee().kind == Expr::Name ||
                               e.callee().kind == Expr::Attribute))
    fn = e.callee().text;
  if (fn == "backward")
    fail(e.callee().loc,
         "backward() is not part of a graph: list the outputs in 'return' "
         "and pick backward roots and seeds when running it ('gradc run "
         "--backward NAME --seeds FILE')");
  if (fn == "print")
    fail(e.start, "print() is not supported: list the values to show in "
                  "'return'; 'gradc run' prints outputs and gradients");
  if (fn == "requires_grad_")
    fail(e.callee().loc, "requires_grad_() is not supported: pass "
                         "requires_grad=True where the input is created");
  fail(e.start, "this expression's value is unused; assign it to a name "
                "(NAME = ...) to make it part of the graph");
}

DslValue DslLowerer::eval(const Expr &e, bool root) {
  DslValue v;
  v.loc = e.start;
  switch (e.kind) {
  case Expr::Name:
  case Expr::Temp:
    return evalName(e);
  case Expr::Number: {
    v.kind = DslValue::Number;
    v.num = e.num;
    v.isInt = e.isInt;
    if (e.isInt && !e.overflow) {
      const uint64_t lim = uint64_t(std::numeric_limits<int64_t>::max());
      if (!e.negative && e.uval <= lim) {
        v.fitsInt64 = true;
        v.ival = static_cast<int64_t>(e.uval);
      } else if (e.negative && e.uval <= lim + 1) {
        v.fitsInt64 = true;
        v.ival = e.uval == lim + 1 ? std::numeric_limits<int64_t>::min()
                                   : -static_cast<int64_t>(e.uval);
      }
    }
    return v;
  }
  case Expr::String:
    v.kind = DslValue::String;
    v.str = e.text;
    return v;
  case Expr::Bool:
    v.kind = DslValue::Bool;
    v.boolValue = e.boolValue;
    return v;
  case Expr::None:
    return v;
  case Expr::List:
  case Expr::Tuple:
    v.kind = DslValue::List;
    for (const ExprPtr &i : e.items) v.items.push_back(eval(*i, false));
    return v;
  case Expr::Unary: return evalUnary(e, root);
  case Expr::Binary: return evalBinary(e, root);
  case Expr::Call: return evalCall(e, root);
  case Expr::Attribute: return evalAttribute(e, root);
  case Expr::Subscript: return evalSubscript(e, root);
  case Expr::Slice:
    fail(e.loc, "a slice (a:b) is only valid inside []");
  }
  fail(e.loc, "unsupported expression");
}

DslValue DslLowerer::evalName(const Expr &e) {
  bool temp = e.kind == Expr::Temp;
  auto &table = temp ? temps_ : names_;
  auto it = table.find(e.text);
  if (it != table.end()) {
    if (!it->second.node) throw Failed(); // Poisoned: already reported.
    return tensor(it->second.node, e.start);
  }
  // A value a composite op named on its own (batch_norm's
  // `y.running_mean`, written in backticks).
  if (!temp)
    if (Node *n = b_.lookup(e.text)) return tensor(n, e.start);
  std::string msg = "use of undefined " +
                    std::string(temp ? "temporary " : "name ") +
                    (temp ? e.text : shown(e.text)) +
                    didYouMean(e.text, temp ? tempOrder_ : nameOrder_);
  if (!temp && !e.quoted && lookupOp(e.text))
    msg += " ('" + e.text + "' is an op: call it, like " + e.text + "(x))";
  fail(e.loc, msg);
}

DslValue DslLowerer::evalUnary(const Expr &e, bool root) {
  DslValue x = eval(*e.items[0], e.text == "+" && root);
  if (e.text == "+") {
    if (x.kind != DslValue::Tensor && x.kind != DslValue::Number)
      fail(e.loc, std::string("bad operand for unary '+': ") +
                      kindName(x.kind));
    return x;
  }
  if (x.kind == DslValue::Number) { // E.g. -float("inf").
    x.num = -x.num;
    if (x.fitsInt64 && x.ival == std::numeric_limits<int64_t>::min())
      x.fitsInt64 = false;
    else if (x.fitsInt64)
      x.ival = -x.ival;
    x.loc = e.loc;
    return x;
  }
  return tensor(makeOp(OpKind::Neg, {x}, {}, e.loc, root), e.start);
}

DslValue DslLowerer::evalBinary(const Expr &e, bool root) {
  // A left-associative chain ((a + b) + c) + d is a tree as deep as it is
  // long: walk its left spine in a loop, innermost operator first, so the
  // recursion is bounded by the right operands only (see Expr::depth).
  std::vector<const Expr *> spine;
  for (const Expr *c = &e; c->kind == Expr::Binary; c = c->items[0].get())
    spine.push_back(c);
  DslValue l = eval(*spine.back()->items[0], false);
  for (size_t k = spine.size(); k-- > 0;) {
    const Expr &b = *spine[k];
    DslValue r = eval(*b.items[1], false);
    if (l.kind == DslValue::Number && r.kind == DslValue::Number &&
        std::string("+-*/**").find(b.text) != std::string::npos)
      l = foldNumbers(b, l, r);
    else
      l = tensor(makeOp(binaryOp(b.text), {l, r}, {}, b.loc, root && k == 0),
                 b.start);
  }
  return l;
}

DslValue DslLowerer::foldNumbers(const Expr &e, const DslValue &l,
                                 const DslValue &r) {
  // Arithmetic on two literals is Python arithmetic, done before the graph
  // exists (x * (1 / 3) multiplies by one constant, 0.333...), as PyTorch
  // code computes it. The ops to write add(2, 3) as a node are the calls.
  DslValue v;
  v.kind = DslValue::Number;
  v.loc = l.loc;
  const std::string &op = e.text;
  if (op == "/" && r.num == 0)
    fail(e.loc, "division by zero in a constant expression");
  if (op == "**" && l.num == 0 && r.num < 0)
    fail(e.loc, "0 cannot be raised to a negative power");
  v.num = op == "+"   ? l.num + r.num
          : op == "-" ? l.num - r.num
          : op == "*" ? l.num * r.num
          : op == "/" ? l.num / r.num
                      : std::pow(l.num, r.num);
  // Integers stay integers (as attributes may need them) when Python's
  // would: + - *, and ** with a non-negative exponent, within int64.
  bool ints = l.isInt && r.isInt && l.fitsInt64 && r.fitsInt64 && op != "/" &&
              !(op == "**" && r.ival < 0);
  if (ints) {
    v.isInt = true;
    int64_t a = l.ival, b = r.ival, x = 0;
    bool overflow = false;
    if (op == "+") {
      overflow = __builtin_add_overflow(a, b, &x);
    } else if (op == "-") {
      overflow = __builtin_sub_overflow(a, b, &x);
    } else if (op == "*") {
      overflow = __builtin_mul_overflow(a, b, &x);
    } else if (a == 0 || a == 1 || a == -1) {
      x = b == 0 ? 1 : a == -1 ? (b % 2 ? -1 : 1) : a;
    } else { // |a| >= 2 overflows within 64 steps.
      x = 1;
      for (int64_t i = 0; i < b && !overflow; ++i)
        overflow = __builtin_mul_overflow(x, a, &x);
    }
    v.fitsInt64 = !overflow;
    v.ival = overflow ? 0 : x;
  }
  return v;
}

bool DslLowerer::isModulePath(const Expr &e) const {
  if (e.quoted) return false;
  if (e.kind == Expr::Name)
    return (e.text == "torch" || e.text == "T" || e.text == "F" ||
            e.text == "nn" || e.text == "functional" || e.text == "math") &&
           !names_.count(e.text);
  if (e.kind == Expr::Attribute)
    return (e.text == "nn" || e.text == "functional") &&
           isModulePath(*e.items[0]);
  return false;
}

DslValue DslLowerer::evalAttribute(const Expr &e, bool root) {
  if (isModulePath(*e.items[0])) {
    DslValue v;
    v.kind = DslValue::Number;
    v.loc = e.start;
    if (e.text == "inf") v.num = HUGE_VAL;
    else if (e.text == "nan") v.num = std::nan("");
    else if (e.text == "pi") v.num = 3.141592653589793;
    else if (e.text == "e") v.num = 2.718281828459045;
    else
      fail(e.loc, "unknown name '" + e.text + "' after a module prefix" +
                      (lookupOp(e.text) ? " (to call it, add arguments: " +
                                              e.text + "(x))"
                                        : std::string()));
    return v;
  }
  DslValue base = eval(*e.items[0], false);
  if (base.kind != DslValue::Tensor)
    fail(e.loc, "'." + e.text + "' needs a tensor, got " + kindName(base.kind));
  if (e.text == "T" && !e.quoted) {
    // x.T reverses all dimensions, as in PyTorch.
    std::vector<int64_t> dims;
    for (int64_t d = base.node->type.rank(); d-- > 0;) dims.push_back(d);
    return tensor(makeOp(OpKind::Permute, {base}, {{"dims", dims}}, e.loc,
                         root),
                  e.start);
  }
  fail(e.loc, "unsupported attribute '." + e.text + "'" +
                  (lookupOp(e.text) ? "; to call the method, write ." +
                                          e.text + "()"
                                    : std::string(" (only .T is supported)")));
}

DslValue DslLowerer::evalSubscript(const Expr &e, bool root) {
  DslValue base = eval(*e.items[0], false);
  if (base.kind != DslValue::Tensor)
    fail(e.loc, std::string("cannot slice ") + kindName(base.kind));
  // Every index is a slice a:b:c of the dimension at its position; full
  // slices (:) leave their dimension alone. Each other slice is one slice
  // node, applied in order; the last gets the statement's name.
  // An integer index selects (x[0], x[:, -1]): one select node per integer,
  // applied after the slices from the last dim down, so that each dim
  // number still means the position written.
  struct Cut {
    int64_t dim;
    const Expr *slice;
  };
  std::vector<Cut> cuts, picks;
  for (size_t i = 1; i < e.items.size(); ++i) {
    const Expr &s = *e.items[i];
    if (s.kind != Expr::Slice) {
      picks.push_back({static_cast<int64_t>(i - 1), &s});
      continue;
    }
    bool full = true;
    for (const ExprPtr &b : s.items)
      if (b && b->kind != Expr::None) full = false;
    if (!full) cuts.push_back({static_cast<int64_t>(i - 1), &s});
  }
  DslValue cur = base;
  for (size_t c = 0; c < cuts.size(); ++c) {
    AttrMap attrs{{"dim", cuts[c].dim}};
    static const char *keys[] = {"start", "end", "step"};
    for (int k = 0; k < 3; ++k) {
      const ExprPtr &b = cuts[c].slice->items[k];
      if (!b) continue;
      DslValue v = eval(*b, false);
      if (v.kind == DslValue::None) continue;
      attrs[keys[k]] = toInt(v, std::string("slice ") + keys[k]);
    }
    bool last = c + 1 == cuts.size() && picks.empty();
    cur = tensor(makeOp(OpKind::Slice, {cur}, attrs, cuts[c].slice->loc,
                        root && last),
                 e.start);
  }
  for (size_t c = picks.size(); c-- > 0;) {
    DslValue v = eval(*picks[c].slice, false);
    AttrMap attrs{{"dim", picks[c].dim}, {"index", toInt(v, "an index")}};
    cur = tensor(makeOp(OpKind::Select, {cur}, attrs, picks[c].slice->start,
                        root && c == 0),
                 e.start);
  }
  return cur;
}

std::vector<BuildOperand>
DslLowerer::buildOperands(const std::vector<DslValue> &operands,
                          const char *opName) {
  std::vector<BuildOperand> ops;
  for (const DslValue &v : operands) {
    if (v.kind == DslValue::Tensor) {
      ops.push_back(BuildOperand::of(v.node));
    } else if (v.kind == DslValue::Number) {
      ops.push_back(BuildOperand::number(v.num));
    } else {
      fail(v.loc, std::string("expected a tensor or a number as an operand "
                              "of ") +
                      opName + ", got " + kindName(v.kind));
    }
  }
  return ops;
}

Node *DslLowerer::makeOp(OpKind op, const std::vector<DslValue> &operands,
                         AttrMap attrs, SourceLoc loc, bool root) {
  std::vector<BuildOperand> ops = buildOperands(operands, opInfo(op).name);
  try {
    Node *n = b_.addOp(op, ops, std::move(attrs), root ? rootName_ : "",
                       noGrad_);
    if (root) rootMade_ = true;
    return n;
  } catch (const Error &e) {
    fail(loc, e.what());
  }
}

std::unique_ptr<Graph> lowerDslProgram(const std::vector<StmtPtr> &program,
                                       const std::string &defaultName,
                                       Diagnostics &diags,
                                       const SizeBinding &sizes) {
  const Stmt *graphStmt = nullptr;
  std::string name = defaultName;
  for (const StmtPtr &s : program) {
    if (s->kind == Stmt::Pass) continue; // `import torch` may come first.
    if (s->kind == Stmt::Graph) {
      graphStmt = s.get();
      name = s->target;
    }
    break;
  }
  size_t syntaxErrors = diags.errorCount();
  GraphBuilder builder(name);
  builder.setSizes(sizes);
  DslLowerer lowerer(builder, diags);
  lowerer.program(program, graphStmt);
  // Without a return, say so, unless a syntax error may have eaten it.
  if (!lowerer.sawReturn() && syntaxErrors == 0)
    diags.error(diags.endLoc(), "missing 'return': end the program with "
                                "'return NAME, ...' to declare its outputs");
  if (diags.hasErrors()) return nullptr;
  try {
    return builder.finish();
  } catch (const Error &e) {
    diags.error({}, e.what());
    return nullptr;
  }
}

} // namespace gradc
