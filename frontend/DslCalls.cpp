//===- frontend/DslCalls.cpp - DSL calls: ops and input constructors ------===//
//
// `op(a, b, key=value)` and `a.op(...)` (== `op(a, ...)`) for every op of
// the table, with PyTorch's positional conventions for the non-tensor
// arguments (x.sum(1) is dim, x.transpose(0, 1) is dim0/dim1, x.reshape(2,
// 3) is shape, ...), and the constructors that declare graph inputs (ones,
// zeros, full, randn, rand, tensor, input; torch.full(...) and full(...)
// inside an expression are the op full instead).
//
//===----------------------------------------------------------------------===//
#include "frontend/DslLower.h"

#include "frontend/Decompositions.h"
#include "frontend/DslNames.h"
#include "ir/Error.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace gradc {

namespace {

/// How the positional arguments of an op call map to operands and
/// attributes: `operands` tensor (or number) operands come first, then the
/// attributes in `positional` order. With `varargs`, the remaining
/// integers form one list attribute (x.reshape(2, 3) -> shape [2, 3]).
struct Signature {
  int operands = 1;
  std::vector<std::string> positional;
  bool varargs = false;
};

/// The DSL signature column of the op list (ir/Ops.def): a variadic op
/// takes its tensors as a list, so it has no positional tensor operands.
Signature signatureOf(OpKind k) {
  const OpInfo &info = opInfo(k);
  return {info.maxArity < 0 ? 0 : info.maxArity, info.dslArgs,
          info.dslVarargs};
}

/// PyTorch spellings that name an op of the table differently.
std::optional<OpKind> opByName(const std::string &n) {
  static const std::pair<const char *, OpKind> aliases[] = {
      {"view", OpKind::Reshape},      {"mm", OpKind::Matmul},
      {"bmm", OpKind::Matmul},        {"concatenate", OpKind::Concat},
      {"negative", OpKind::Neg},      {"multiply", OpKind::Mul},
      {"divide", OpKind::Div},        {"true_divide", OpKind::Div},
      {"subtract", OpKind::Sub},      {"greater", OpKind::Gt},
      {"less", OpKind::Lt},           {"greater_equal", OpKind::Ge},
      {"less_equal", OpKind::Le},     {"not_equal", OpKind::Ne},
  };
  for (const auto &a : aliases)
    if (n == a.first) return a.second;
  auto k = lookupOp(n);
  // Internal helper ops of the backward pass are not user ops.
  if (k && opInfo(*k).cls != OpClass::Leaf && !opInfo(*k).internal) return k;
  return std::nullopt;
}

const char *const kCtors[] = {"ones", "zeros", "full",  "randn",
                              "rand", "tensor", "input", "empty"};

bool isCtor(const std::string &n) {
  for (const char *c : kCtors)
    if (n == c) return true;
  return false;
}

std::vector<std::string> callableNames(bool method) {
  std::vector<std::string> r = userOpNames();
  for (const Decomposition &d : decompositions()) r.push_back(d.name);
  r.push_back("cat");
  r.push_back("t");
  if (!method)
    for (const char *c : kCtors) r.push_back(c);
  return r;
}

/// Why common PyTorch methods without a gradc counterpart are missing.
std::string methodHint(const std::string &n) {
  if (n == "float" || n == "double" || n == "long" || n == "int" ||
      n == "half" || n == "to" || n == "type")
    return "dtype conversions are not supported (gradc has no cast op)";
  if (n == "item" || n == "tolist" || n == "numpy")
    return "values exist only when the graph runs";
  if (n == "backward")
    return "backward() is not part of a graph: list outputs in 'return' and "
           "pick roots when running it";
  if (n == "requires_grad_")
    return "pass requires_grad=True where the input is created";
  if (n == "size" || n == "dim" || n == "numel")
    return "shapes are static; write the numbers";
  return "";
}

std::string joined(const std::vector<std::string> &v) {
  std::string r;
  for (const std::string &s : v) r += (r.empty() ? "" : ", ") + s;
  return r;
}

} // namespace

int64_t DslLowerer::toInt(const DslValue &v, const std::string &what) {
  if (v.kind == DslValue::Number && v.isInt) {
    if (!v.fitsInt64) fail(v.loc, what + ": the integer is out of range");
    return v.ival;
  }
  fail(v.loc, what + " must be an integer, got " +
                  (v.kind == DslValue::Number ? std::string("a float")
                                              : "something else"));
}

Attr DslLowerer::toAttr(const DslValue &v, const std::string &what) {
  switch (v.kind) {
  case DslValue::Number:
    if (v.isInt) return toInt(v, what);
    return v.num;
  case DslValue::Bool: return v.boolValue;
  case DslValue::String: return v.str;
  case DslValue::List: {
    // Like the JSON loader: all integers -> an integer list, else floats.
    bool anyFloat = false;
    for (const DslValue &i : v.items) {
      if (i.kind != DslValue::Number)
        fail(i.loc, what + ": expected a list of numbers");
      anyFloat |= !i.isInt;
    }
    if (anyFloat) {
      std::vector<double> r;
      for (const DslValue &i : v.items) r.push_back(i.num);
      return r;
    }
    std::vector<int64_t> r;
    for (const DslValue &i : v.items) r.push_back(toInt(i, what));
    return r;
  }
  case DslValue::Tensor:
    fail(v.loc, what + " must be a constant, not a tensor");
  case DslValue::None: break;
  }
  fail(v.loc, what + " must be a constant");
}

DType DslLowerer::dtypeOf(const Expr &e) {
  std::string s;
  if (e.kind == Expr::Name && !e.quoted)
    s = e.text;
  else if (e.kind == Expr::Attribute && isModulePath(*e.items[0]))
    s = e.text;
  else if (e.kind == Expr::String)
    s = e.text;
  else
    fail(e.start, "expected a dtype: f32, f64, i32, i64 or bool");
  auto d = dslDType(s);
  if (!d)
    fail(e.start, "unknown dtype '" + s + "'; use f32, f64, i32, i64 or "
                  "bool (float32, torch.float64, long, ... also work)");
  return *d;
}

DslValue DslLowerer::evalCall(const Expr &e, bool root) {
  const Expr &callee = e.callee();
  std::string fname;
  const Expr *self = nullptr;
  SourceLoc loc = callee.loc;
  if (callee.kind == Expr::Name && !callee.quoted) {
    fname = callee.text;
  } else if (callee.kind == Expr::Attribute && !callee.quoted) {
    fname = callee.text;
    if (!isModulePath(*callee.items[0])) self = callee.items[0].get();
  } else {
    fail(callee.start, "this expression cannot be called");
  }

  if (!self) {
    // full is both a constructor and an op. Written bare on a line of its
    // own (c = full([2, 3], 0.5)) it declares an input like ones(...); as
    // torch.full(...) (any module path), or inside an expression, it is
    // the op full: a constant, as torch.full makes one.
    bool fullOp = fname == "full" && (callee.kind == Expr::Attribute || !root);
    if (fullOp)
      for (const Keyword &k : e.keywords)
        if (k.name == "requires_grad")
          fail(k.loc, "torch.full(...) and full(...) inside an expression are "
                      "constants (the op full); declare a trainable input on "
                      "a line of its own: NAME = full(size, value, "
                      "requires_grad=True)");
    if (isCtor(fname) && !fullOp) return declareInput(fname, e, loc, root);
    if (fname == "float") {
      // float("inf"), float("-inf"), float("nan"), as Python spells them.
      if (e.items.size() == 2 && e.keywords.empty() &&
          e.items[1]->kind == Expr::String) {
        std::string s = e.items[1]->text;
        DslValue v;
        v.kind = DslValue::Number;
        v.loc = e.start;
        for (char &c : s) c = static_cast<char>(std::tolower(c));
        if (s == "inf" || s == "+inf" || s == "infinity") v.num = HUGE_VAL;
        else if (s == "-inf" || s == "-infinity") v.num = -HUGE_VAL;
        else if (s == "nan") v.num = std::nan("");
        else fail(e.items[1]->loc, "float() accepts \"inf\", \"-inf\" or "
                                   "\"nan\" here");
        return v;
      }
      fail(loc, "float() is only supported as float(\"inf\"), "
                "float(\"-inf\") or float(\"nan\")");
    }
    if (fname == "no_grad" || fname == "enable_grad")
      fail(loc, fname + "() only makes sense as 'with " + fname + ":'");
  }

  std::vector<DslValue> pos;
  if (self) pos.push_back(eval(*self, false));
  const Decomposition *composite = findDecomposition(fname);
  std::optional<OpKind> op =
      composite ? std::nullopt : opByName(fname);
  if (!op && !composite && fname != "t") {
    std::string hint = methodHint(fname);
    fail(loc, "unknown " + std::string(self ? "method" : "function") + " '" +
                  fname + "'" +
                  (hint.empty() ? didYouMean(fname, callableNames(self))
                                : "; " + hint));
  }
  for (size_t i = 1; i < e.items.size(); ++i)
    pos.push_back(eval(*e.items[i], false));
  if (composite) return callComposite(*composite, fname, std::move(pos), e, loc, root);
  if (!op) return transposeMethod(fname, std::move(pos), e, loc, root);
  // torch.max(a, b) with two tensors is the elementwise maximum.
  if ((*op == OpKind::Max || *op == OpKind::Min) && pos.size() >= 2 &&
      pos[1].kind == DslValue::Tensor)
    op = *op == OpKind::Max ? OpKind::Maximum : OpKind::Minimum;
  // torch.arange(end), arange(start, end[, step]): one number is the end.
  if (*op == OpKind::Arange && pos.size() == 1) {
    DslValue zero = pos[0];
    zero.isInt = true;
    zero.fitsInt64 = true;
    zero.ival = 0;
    zero.num = 0;
    pos.insert(pos.begin(), zero);
  }
  // torch.gather(x, dim, index) and torch.index_select(x, dim, index) put
  // the dim between the tensors: the index is the second operand.
  if ((*op == OpKind::Gather || *op == OpKind::IndexSelect) && pos.size() == 3 &&
      pos[1].kind == DslValue::Number && pos[2].kind == DslValue::Tensor)
    std::swap(pos[1], pos[2]);
  return callOp(*op, fname, std::move(pos), e, loc, root);
}

DslValue DslLowerer::transposeMethod(const std::string &spelled,
                                     std::vector<DslValue> positional,
                                     const Expr &call, SourceLoc loc,
                                     bool root) {
  // x.t(): the 2-D transpose (PyTorch refuses more dimensions).
  if (positional.size() != 1 || !call.keywords.empty())
    fail(loc, spelled + "() takes no arguments (use transpose(dim0, dim1))");
  if (positional[0].kind == DslValue::Tensor &&
      positional[0].node->type.rank() > 2)
    fail(loc, "t() expects a tensor with at most 2 dimensions, got " +
                  std::to_string(positional[0].node->type.rank()) +
                  "; use transpose(dim0, dim1)");
  return tensor(makeOp(OpKind::Transpose, positional, {}, loc, root),
                call.start);
}

DslValue DslLowerer::callOp(OpKind op, const std::string &spelled,
                            std::vector<DslValue> positional,
                            const Expr &call, SourceLoc loc, bool root) {
  Signature sig = signatureOf(op);
  CallArgs a = bindArgs({sig.operands, sig.positional, sig.varargs,
                         op == OpKind::Concat, opInfo(op).attrs,
                         opInfo(op).minArity},
                        spelled, std::move(positional), call, loc);
  return tensor(makeOp(op, a.operands, std::move(a.attrs), loc, root),
                call.start);
}

DslValue DslLowerer::callComposite(const Decomposition &d,
                                   const std::string &spelled,
                                   std::vector<DslValue> positional,
                                   const Expr &call, SourceLoc loc, bool root) {
  // Positional arguments fill the operands, then d.dslArgs; keywords name
  // an operand (F.nll_loss(x, t, weight=w)) or an attribute. None leaves
  // an optional operand out.
  const size_t arity = static_cast<size_t>(d.arity);
  std::vector<DslValue> slots(arity);
  std::vector<bool> given(arity, false);
  AttrMap attrs;
  for (size_t i = 0; i < positional.size(); ++i) {
    if (i < arity) {
      slots[i] = positional[i];
      given[i] = true;
      continue;
    }
    size_t k = i - arity;
    if (k >= d.dslArgs.size())
      fail(positional[i].loc, spelled + "() got too many positional arguments");
    if (positional[i].kind == DslValue::None &&
        std::string(d.name) == "batch_norm" && d.dslArgs[k] == "momentum")
      fail(positional[i].loc, "batch_norm: momentum=None (a cumulative "
                              "moving average) is not supported; give a number");
    if (positional[i].kind != DslValue::None)
      attrs[d.dslArgs[k]] =
          toAttr(positional[i], "'" + d.dslArgs[k] + "'");
  }
  for (const Keyword &k : call.keywords) {
    size_t slot = arity;
    for (size_t i = 0; i < d.operands.size() && i < arity; ++i)
      if (d.operands[i] == k.name) slot = i;
    bool isAttr = false;
    for (const std::string &a : d.attrs) isAttr |= a == k.name;
    if (slot == arity && !isAttr) {
      std::vector<std::string> known = d.attrs;
      known.insert(known.end(), d.operands.begin(), d.operands.end());
      fail(k.loc, spelled + "() has no argument '" + k.name + "'" +
                      didYouMean(k.name, known) + " (it takes: " +
                      joined(known) + ")");
    }
    if ((slot < arity && given[slot]) || attrs.count(k.name))
      fail(k.loc, spelled + "() got multiple values for '" + k.name + "'");
    DslValue v = eval(*k.value, false);
    // None would read as "absent", i.e. the default 0.1, where nn.BatchNorm
    // means a cumulative average (factor 1 / num_batches_tracked), which a
    // static attribute cannot express (F.batch_norm refuses None too).
    if (v.kind == DslValue::None && std::string(d.name) == "batch_norm" &&
        k.name == "momentum")
      fail(k.loc, "batch_norm" +
                      (root && !rootName_.empty() ? " '" + rootName_ + "'"
                                                  : std::string()) +
                      ": momentum=None (a cumulative moving average) is not "
                      "supported; give a number. For the cumulative average, "
                      "use momentum=1.0 (NAME.running_mean/var are then the "
                      "batch's statistics) and average them on the host");
    if (slot < arity) {
      slots[slot] = v;
      given[slot] = true;
    } else if (v.kind != DslValue::None) {
      attrs[k.name] = toAttr(v, "'" + k.name + "'");
    }
  }
  size_t count = arity;
  while (count > 0 && !given[count - 1]) --count;
  std::vector<BuildOperand> ops;
  for (size_t i = 0; i < count; ++i) {
    if (!given[i] || slots[i].kind == DslValue::None) {
      ops.push_back(BuildOperand::none());
      continue;
    }
    std::vector<BuildOperand> one = buildOperands({slots[i]}, d.name);
    ops.push_back(one[0]);
  }
  try {
    Node *n = expandComposite(d, b_, ops, attrs, root ? rootName_ : "",
                              noGrad_);
    if (root) rootMade_ = true;
    return tensor(n, call.start);
  } catch (const Error &e) {
    fail(loc, e.what());
  }
}

DslLowerer::CallArgs DslLowerer::bindArgs(const CallShape &shape,
                                          const std::string &spelled,
                                          std::vector<DslValue> positional,
                                          const Expr &call, SourceLoc loc) {
  CallArgs out;
  std::vector<DslValue> &operands = out.operands;
  AttrMap &attrs = out.attrs;
  size_t next = 0;
  if (shape.listFirst) {
    if (positional.empty() || positional[0].kind != DslValue::List)
      fail(positional.empty() ? loc : positional[0].loc,
           spelled + "() takes a list of tensors first, like cat([a, b], "
                     "dim=0)");
    operands = positional[0].items;
    next = 1;
  } else {
    size_t n = static_cast<size_t>(shape.operands);
    // Optional trailing operands (a bias) are present when the values in
    // their places are tensors; a None there means absent.
    bool optionalNone = false;
    if (shape.minOperands >= 0 && static_cast<size_t>(shape.minOperands) < n) {
      size_t k = static_cast<size_t>(shape.minOperands);
      while (k < n && k < positional.size() &&
             positional[k].kind == DslValue::Tensor)
        ++k;
      optionalNone = k < n && k < positional.size() &&
                     positional[k].kind == DslValue::None;
      n = std::max(k, static_cast<size_t>(shape.minOperands));
    }
    if (positional.size() < n)
      fail(loc, spelled + "() takes " + std::to_string(n) + " operand" +
                    (n == 1 ? "" : "s") + ", got " +
                    std::to_string(positional.size()));
    operands.assign(positional.begin(), positional.begin() + n);
    next = n + (optionalNone ? 1 : 0);
    // PyTorch puts some optional tensors after other arguments
    // (layer_norm(x, [4], w, b)): later tensors fill the optional operands.
    if (shape.minOperands >= 0 && !optionalNone &&
        operands.size() < static_cast<size_t>(shape.operands)) {
      std::vector<DslValue> rest;
      for (size_t i = next; i < positional.size(); ++i) {
        if (positional[i].kind == DslValue::Tensor &&
            operands.size() < static_cast<size_t>(shape.operands))
          operands.push_back(positional[i]);
        else
          rest.push_back(positional[i]);
      }
      positional.resize(next);
      positional.insert(positional.end(), rest.begin(), rest.end());
    }
  }

  const std::vector<std::string> &names = shape.positional;
  size_t rest = positional.size() - next;
  if (shape.varargs && rest > 0) {
    const std::string &key = names[0];
    if (rest == 1 && positional[next].kind == DslValue::List) {
      attrs[key] = toAttr(positional[next], "'" + key + "'");
    } else {
      std::vector<int64_t> list;
      for (size_t i = next; i < positional.size(); ++i)
        list.push_back(toInt(positional[i], "'" + key + "'"));
      attrs[key] = list;
    }
  } else if (rest > 0) {
    if (rest > names.size())
      fail(positional[next + names.size()].loc,
           spelled + "() got too many positional arguments" +
               (names.empty()
                    ? std::string()
                    : " (after the operands it takes: " + joined(names) +
                          ")"));
    for (size_t i = 0; i < rest; ++i)
      if (positional[next + i].kind != DslValue::None)
        attrs[names[i]] = toAttr(positional[next + i], "'" + names[i] + "'");
  }

  const std::vector<std::string> &known = shape.attrs;
  for (const Keyword &k : call.keywords) {
    bool isKnown = false;
    for (const std::string &a : known) isKnown |= a == k.name;
    if (!isKnown)
      fail(k.loc, spelled + "() has no argument '" + k.name + "'" +
                      didYouMean(k.name, known) +
                      (known.empty()
                           ? " (it takes no keyword arguments)"
                           : " (it takes: " + joined(known) + ")"));
    if (attrs.count(k.name))
      fail(k.loc, spelled + "() got multiple values for '" + k.name + "'");
    if (k.name == "dtype") { // dtype=torch.long, dtype=f64, dtype="i32"
      attrs["dtype"] = std::string(dtypeName(dtypeOf(*k.value)));
      continue;
    }
    DslValue v = eval(*k.value, false);
    if (v.kind != DslValue::None)
      attrs[k.name] = toAttr(v, "'" + k.name + "'");
  }
  return out;
}

DslValue DslLowerer::evalDim(const Expr &e) {
  if (e.kind == Expr::Name && !e.quoted && !names_.count(e.text)) {
    DslValue v;
    v.kind = DslValue::Number;
    v.loc = e.start;
    v.isInt = v.fitsInt64 = true;
    try {
      v.ival = b_.sizeOf(e.text);
    } catch (const Error &err) {
      fail(e.loc, err.what());
    }
    v.num = static_cast<double>(v.ival);
    return v;
  }
  if (e.kind == Expr::List || e.kind == Expr::Tuple) {
    DslValue v;
    v.kind = DslValue::List;
    v.loc = e.start;
    for (const ExprPtr &item : e.items) v.items.push_back(evalDim(*item));
    return v;
  }
  return eval(e, false);
}

DslValue DslLowerer::declareInput(const std::string &ctor, const Expr &call,
                                  SourceLoc loc, bool root) {
  if (!root)
    fail(loc, ctor + "(...) declares a graph input; give it a line of its "
                     "own: NAME = " + ctor + "(...)");
  if (rootName_.empty())
    fail(loc, "a graph input needs a name: assign " + ctor +
                  "(...) to a plain name, not to a $temporary");
  bool isFull = ctor == "full", isTensor = ctor == "tensor";
  bool isRandom = ctor == "randn" || ctor == "rand";
  std::vector<DslValue> args;
  for (size_t i = 1; i < call.items.size(); ++i)
    args.push_back(isTensor ? eval(*call.items[i], false)
                            : evalDim(*call.items[i]));

  DType dtype = DType::F32;
  bool dtypeGiven = false, requiresGrad = false;
  InputInit init;
  // The first integer literal a double cannot hold exactly, if any.
  const DslValue *inexact = nullptr;
  auto noteInexact = [&inexact](const DslValue &v) {
    double d = static_cast<double>(v.ival);
    bool exact = !v.isInt || (v.fitsInt64 && d < 9223372036854775808.0 &&
                              static_cast<int64_t>(d) == v.ival);
    if (!exact && !inexact) inexact = &v;
  };
  Shape shape;
  const DslValue *fill = nullptr;
  DslValue fillKw, sizeKw;
  bool haveSize = false;
  std::vector<std::string> allowed = {"dtype", "requires_grad"};
  if (isRandom) allowed.push_back("seed");
  if (isFull) allowed.push_back("fill_value");
  if (!isTensor) allowed.push_back("size");
  for (const Keyword &k : call.keywords) {
    bool ok = false;
    for (const std::string &a : allowed) ok |= a == k.name;
    if (!ok)
      fail(k.loc, ctor + "() has no argument '" + k.name + "'" +
                      didYouMean(k.name, allowed) + " (it takes: " +
                      joined(allowed) + ")");
    if (k.name == "dtype") {
      dtype = dtypeOf(*k.value);
      dtypeGiven = true;
      continue;
    }
    DslValue v = k.name == "size" ? evalDim(*k.value) : eval(*k.value, false);
    if (k.name == "requires_grad") {
      if (v.kind != DslValue::Bool)
        fail(v.loc, "requires_grad must be True or False");
      requiresGrad = v.boolValue;
    } else if (k.name == "seed") {
      init.seed = toInt(v, "seed");
    } else if (k.name == "fill_value") {
      fillKw = v;
      fill = &fillKw;
    } else {
      sizeKw = v;
      haveSize = true;
    }
  }

  // The shape: ints, or one list, positionally or as size=.
  auto readShape = [&](const std::vector<DslValue> &vals) {
    std::vector<DslValue> dims = vals;
    if (vals.size() == 1 && vals[0].kind == DslValue::List)
      dims = vals[0].items;
    for (const DslValue &d : dims) {
      int64_t n = toInt(d, "a dimension");
      if (n < 0) fail(d.loc, "a dimension must not be negative");
      shape.push_back(n);
    }
  };
  DType inferred = DType::F32;
  if (isTensor) {
    if (args.size() != 1)
      fail(loc, "tensor() takes the data as its one positional argument");
    // The shape is the nesting of the lists; they must be rectangular.
    for (const DslValue *v = &args[0]; v->kind == DslValue::List;) {
      shape.push_back(static_cast<int64_t>(v->items.size()));
      if (v->items.empty()) break;
      v = &v->items[0];
    }
    bool anyFloat = false, anyInt = false, anyBool = false;
    std::vector<const DslValue *> stack{&args[0]};
    std::vector<size_t> level{0};
    // Iterative walk in row-major order (the stack holds items reversed).
    while (!stack.empty()) {
      const DslValue *v = stack.back();
      size_t l = level.back();
      stack.pop_back();
      level.pop_back();
      if (l < shape.size()) {
        if (v->kind != DslValue::List ||
            static_cast<int64_t>(v->items.size()) != shape[l])
          fail(v->loc, "tensor data is not rectangular: expected a list of " +
                           std::to_string(shape[l]) + " here");
        for (size_t i = v->items.size(); i-- > 0;) {
          stack.push_back(&v->items[i]);
          level.push_back(l + 1);
        }
      } else if (v->kind == DslValue::Number) {
        noteInexact(*v);
        init.data.push_back(v->num);
        (v->isInt ? anyInt : anyFloat) = true;
      } else if (v->kind == DslValue::Bool) {
        init.data.push_back(v->boolValue ? 1 : 0);
        anyBool = true;
      } else {
        fail(v->loc, "tensor data must be numbers (or nested lists of "
                     "numbers of equal length)");
      }
    }
    // As torch.tensor infers it: any float -> f32, all bool -> bool,
    // otherwise integers -> i64; no data -> f32.
    inferred = anyFloat ? DType::F32
               : anyInt ? DType::I64
               : anyBool ? DType::Bool
                         : DType::F32;
    init.kind = InputInit::Data;
  } else if (isFull) {
    if (args.empty() && !haveSize)
      fail(loc, "full() takes the size and the fill value, like full([2, 2], "
                "0.5)");
    if (haveSize && !args.empty()) fill = &args[0];
    if (!haveSize) {
      if (args[0].kind != DslValue::List)
        fail(args[0].loc, "full() takes the size as a list, like full([2, "
                          "2], 0.5)");
      readShape({args[0]});
      if (args.size() > 1) {
        if (fill == &fillKw)
          fail(args[1].loc, "full() got two fill values");
        fill = &args[1];
      }
    } else {
      readShape({sizeKw});
    }
    if (args.size() > (haveSize ? 1u : 2u))
      fail(args.back().loc, "full() got too many arguments");
    if (!fill) fail(loc, "full() needs a fill value, like full([2, 2], 0.5)");
    if (fill->kind == DslValue::Bool) {
      init.value = fill->boolValue ? 1 : 0;
      inferred = DType::Bool;
    } else if (fill->kind == DslValue::Number) {
      noteInexact(*fill);
      init.value = fill->num;
      inferred = fill->isInt ? DType::I64 : DType::F32; // As torch.full.
    } else {
      fail(fill->loc, "the fill value must be a number");
    }
    init.kind = InputInit::Value;
  } else {
    if (haveSize && !args.empty())
      fail(args[0].loc, ctor + "() got the size twice");
    readShape(haveSize ? std::vector<DslValue>{sizeKw} : args);
    if (ctor == "ones") init.kind = InputInit::Ones;
    else if (ctor == "zeros") init.kind = InputInit::Zeros;
    else if (ctor == "randn") init.kind = InputInit::Randn;
    else if (ctor == "rand") init.kind = InputInit::Rand;
  }
  if (!dtypeGiven) dtype = inferred;
  // Inits are held as doubles: an integer input's literal must be exact in
  // one, or the graph would run with a neighbouring value.
  if (inexact && (dtype == DType::I32 || dtype == DType::I64))
    fail(inexact->loc, "this integer is not exact in a graph's init (which "
                       "holds 53 bits); pass it with --inputs, which keeps "
                       "all 64");
  try {
    Node *n = b_.addInput(rootName_, {dtype, shape}, requiresGrad, init);
    rootMade_ = true;
    return tensor(n, call.start);
  } catch (const Error &err) {
    fail(loc, err.what());
  }
}

} // namespace gradc
