//===- frontend/DslWriter.cpp - Graphs as DSL source ----------------------===//
//
// Inlining and node order. The DSL lowering creates the nodes of a
// statement in post-order: each operand subtree left to right, then the
// literal constants of the node in operand order, then the node. So a
// statement whose root is R re-creates the contiguous run of nodes that
// ends at R, and an unnamed single-use operand O of node M can be written
// inside M's expression only if O's own run ends exactly where the next
// part of M's run begins. plan() checks this greedily from each node's
// last operand backwards; every operand it cannot inline is bound to a
// statement of its own (a name, or a $temporary).
//
//===----------------------------------------------------------------------===//
#include "frontend/DslWriter.h"

#include "frontend/DslNames.h"
#include "frontend/GraphBuilder.h"
#include "ir/Attr.h"
#include "ir/Error.h"
#include "ir/OpClasses.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace gradc {

namespace {

// Precedence levels of the DSL grammar, loosest first.
enum Prec { kCompare = 1, kArith, kTerm, kUnary, kPower, kPostfix, kAtom };

/// Deepest chain of inlined ops in one statement; deeper chains get
/// temporaries, so the parser's nesting limit (kMaxDslExprDepth) is never
/// reached by what the writer writes.
constexpr int kMaxInlineDepth = 48;

struct Text {
  std::string s;
  int prec;
};

std::string wrap(const Text &t, int minPrec) {
  return t.prec < minPrec ? "(" + t.s + ")" : t.s;
}

/// The operator Python spells op `k` with (and its precedence), or nullptr:
/// every op not in the table is written as a call, which the DSL reads
/// back as the same node.
const char *infixOp(OpKind k, int &prec) {
  static const struct {
    OpKind op;
    int prec;
    const char *text;
  } kInfix[] = {
      {OpKind::Add, kArith, "+"},     {OpKind::Sub, kArith, "-"},
      {OpKind::Mul, kTerm, "*"},      {OpKind::Div, kTerm, "/"},
      {OpKind::Matmul, kTerm, "@"},   {OpKind::Pow, kPower, "**"},
      {OpKind::Lt, kCompare, "<"},    {OpKind::Le, kCompare, "<="},
      {OpKind::Gt, kCompare, ">"},    {OpKind::Ge, kCompare, ">="},
      {OpKind::Eq, kCompare, "=="},   {OpKind::Ne, kCompare, "!="},
  };
  for (const auto &i : kInfix)
    if (i.op == k) {
      prec = i.prec;
      return i.text;
    }
  return nullptr;
}

std::string ints(const std::vector<int64_t> &v) {
  std::string r;
  for (size_t i = 0; i < v.size(); ++i)
    r += (i ? ", " : "") + std::to_string(v[i]);
  return r;
}

std::string attrText(const Attr &a) {
  struct V {
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return dslFloat(v); }
    std::string operator()(bool v) const { return v ? "True" : "False"; }
    std::string operator()(const std::string &v) const {
      return dslQuote(v, '"');
    }
    std::string operator()(const std::vector<int64_t> &v) const {
      return "[" + ints(v) + "]";
    }
    std::string operator()(const std::vector<double> &v) const {
      std::string r = "[";
      for (size_t i = 0; i < v.size(); ++i) r += (i ? ", " : "") + dslFloat(v[i]);
      return r + "]";
    }
  };
  return std::visit(V{}, a);
}

/// An int list attribute, if `key` holds one.
const std::vector<int64_t> *intList(const Node &n, const char *key) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return nullptr;
  return std::get_if<std::vector<int64_t>>(&it->second);
}
const int64_t *intAttr(const Node &n, const char *key) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return nullptr;
  return std::get_if<int64_t>(&it->second);
}

[[noreturn]] void inexpressible(const Node &n, const std::string &why) {
  throw Error("cannot write graph as DSL: node '" + n.displayName() + "' (" +
              n.info().name + "): " + why);
}

class Writer {
public:
  Writer(const Graph &g, const GraphSignature *sizes) : g_(g), sizes_(sizes) {}
  std::string run();

private:
  void checkConstant(const Node &c, const Node &user, DType litType);
  void plan();
  std::string input(const Node &n);
  Text expr(const Node &n);
  Text operand(const Node &user, size_t slot);
  bool literal(const Node &user, size_t slot) const {
    return user.operands[slot]->op == OpKind::Constant;
  }
  std::string call(const Node &n, const std::string &name, size_t from,
                   std::vector<std::string> args, bool keywords);
  std::string method(const Node &n, const std::string &name,
                     std::vector<std::string> args, bool keywords);

  const Graph &g_;
  const GraphSignature *sizes_; ///< Declared input shapes, or null.
  std::vector<const Node *> nodes_;
  std::unordered_map<const Node *, int> uses_, size_, depth_;
  std::unordered_set<const Node *> inlined_;
  std::unordered_map<const Node *, std::string> temps_;
};

void Writer::checkConstant(const Node &c, const Node &user, DType litType) {
  auto it = c.attrs.find("value");
  if (c.attrs.size() != 1 || it == c.attrs.end() ||
      !std::holds_alternative<double>(it->second) || !c.type.shape.empty())
    inexpressible(c, "only scalar constants are expressible (as literals)");
  if (!c.name.empty()) inexpressible(c, "a constant cannot have a name");
  if (uses_[&c] != 1)
    inexpressible(c, "a literal constant must have exactly one use");
  if (c.type.dtype != litType)
    inexpressible(c, std::string("a literal operand of '") +
                         user.displayName() + "' would be " +
                         dtypeName(litType) + ", not " +
                         dtypeName(c.type.dtype));
  if (c.noGrad != user.noGrad)
    inexpressible(c, "its no_grad flag differs from its user's");
}

void Writer::plan() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node &m = *nodes_[i];
    if (m.op == OpKind::Input || m.op == OpKind::Constant) continue;
    // Literal constants: right before m, in operand order.
    DType litType = DType::F32;
    for (const Node *o : m.operands)
      if (o->op != OpKind::Constant && o->type.dtype != DType::Bool) {
        litType = o->type.dtype;
        break;
      }
    long p = static_cast<long>(i) - 1;
    for (size_t slot = m.operands.size(); slot-- > 0;) {
      const Node *c = m.operands[slot];
      if (c->op != OpKind::Constant) continue;
      if (p < 0 || nodes_[p] != c)
        inexpressible(*c, "a constant must come right before its user, as "
                          "the literal operands of '" + m.displayName() +
                          "' do when it is built");
      checkConstant(*c, m, litType);
      --p;
    }
    // Then operand runs, last operand first (see the file comment).
    int depth = 0;
    for (size_t slot = m.operands.size(); slot-- > 0;) {
      const Node *o = m.operands[slot];
      if (o->op == OpKind::Constant || o->op == OpKind::Input) continue;
      if (o->name.empty() && uses_[o] == 1 && o->noGrad == m.noGrad &&
          p >= 0 && nodes_[p] == o && depth_[o] < kMaxInlineDepth) {
        inlined_.insert(o);
        p -= size_[o];
        depth = std::max(depth, depth_[o]);
      }
    }
    size_[&m] = static_cast<int>(static_cast<long>(i) - p);
    depth_[&m] = depth + 1;
  }
}

std::string Writer::input(const Node &n) {
  InputInit init = inputInit(n);
  // Only what GraphBuilder::addInput produces can be written back. The
  // attributes are compared as printed, so that a nan init compares equal.
  bool rg = getBool(n.attrs, "requires_grad", false);
  GraphBuilder probe("probe");
  Node *same = nullptr;
  try {
    same = probe.addInput(n.name, n.type, rg, init);
  } catch (const Error &e) {
    inexpressible(n, e.what());
  }
  auto printed = [](const AttrMap &m) {
    std::string r;
    for (const auto &kv : m) r += kv.first + "=" + attrToString(kv.second) + ";";
    return r;
  };
  if (printed(same->attrs) != printed(n.attrs) || n.noGrad)
    inexpressible(n, "the input has attributes the DSL cannot express");

  const Shape &shape = n.type.shape;
  // The extents as written: size variables by name where sizes_ declares
  // this input (a size variable never has tensor data: the loader refuses).
  std::vector<std::string> dims;
  const InputSignature *decl = sizes_ ? sizes_->find(n.name) : nullptr;
  if (decl)
    for (const SymDim &d : decl->dims)
      dims.push_back(d.symbolic() ? d.name : std::to_string(d.value));
  else
    for (int64_t d : shape) dims.push_back(std::to_string(d));
  auto dimList = [&] {
    std::string r;
    for (size_t i = 0; i < dims.size(); ++i) r += (i ? ", " : "") + dims[i];
    return r;
  };
  std::vector<std::string> args;
  std::string ctor;
  DType inferred = DType::F32;
  // Numbers of an input's init, written so that they read back with the
  // dtype they have: floats with a '.', integers bare, bools as True/False.
  auto number = [&](double v, DType &kind) {
    if (n.type.dtype == DType::Bool && (v == 0 || v == 1)) {
      kind = DType::Bool;
      return std::string(v == 1 ? "True" : "False");
    }
    std::string s = isFloat(n.type.dtype) ? dslFloat(v) : dslNumber(v);
    bool isInt = s.find_first_not_of("-0123456789") == std::string::npos;
    kind = isInt ? DType::I64 : DType::F32;
    return s;
  };
  switch (init.kind) {
  case InputInit::None: ctor = "input"; break;
  case InputInit::Zeros: ctor = "zeros"; break;
  case InputInit::Ones: ctor = "ones"; break;
  case InputInit::Randn: ctor = "randn"; break;
  case InputInit::Rand: ctor = "rand"; break;
  case InputInit::Value:
    ctor = "full";
    args.push_back("[" + dimList() + "]");
    args.push_back(number(init.value, inferred));
    break;
  case InputInit::Data: {
    ctor = "tensor";
    // The parser derives the shape from the nesting, which stops at the
    // first empty list.
    for (size_t i = 0; i + 1 < shape.size(); ++i)
      if (shape[i] == 0)
        inexpressible(n, "tensor data of shape " + shapeToString(shape) +
                             " cannot be written as nested lists");
    // The rank is at most kMaxRank (64, ir/Limits.h; the GraphBuilder probe
    // above checks it), so the nesting stays far below the parser's limit.
    std::vector<DType> kinds(init.data.size());
    std::vector<std::string> vals;
    for (size_t i = 0; i < init.data.size(); ++i)
      vals.push_back(number(init.data[i], kinds[i]));
    // Mixed spellings infer like torch.tensor: any float makes it f32.
    bool anyF = false, anyI = false;
    for (DType k : kinds) (k == DType::F32 ? anyF : anyI) |= k != DType::Bool;
    inferred = anyF ? DType::F32 : anyI ? DType::I64
               : kinds.empty() ? DType::F32 : DType::Bool;
    // Nest row-major values by the shape, innermost dimension first: at
    // dimension d there are prod(shape[0..d)) lists of shape[d] entries.
    std::vector<std::string> level = vals;
    for (size_t d = shape.size(); d-- > 0;) {
      size_t groups = 1;
      for (size_t k = 0; k < d; ++k) {
        groups *= static_cast<size_t>(shape[k]);
        if (groups > (size_t(1) << 24))
          inexpressible(n, "too much tensor data to write");
      }
      size_t len = static_cast<size_t>(shape[d]);
      std::vector<std::string> up;
      for (size_t gi = 0; gi < groups; ++gi) {
        std::string s = "[";
        for (size_t k = 0; k < len; ++k)
          s += (k ? ", " : "") + level[gi * len + k];
        up.push_back(s + "]");
      }
      level = std::move(up);
    }
    args.push_back(level.empty() ? "[]" : level[0]);
    break;
  }
  }
  if (init.kind != InputInit::Value && init.kind != InputInit::Data) {
    args.insert(args.end(), dims.begin(), dims.end());
    if (init.kind == InputInit::Randn || init.kind == InputInit::Rand)
      args.push_back("seed=" + std::to_string(init.seed));
  }
  if (n.type.dtype != inferred)
    args.push_back(std::string("dtype=") + dtypeName(n.type.dtype));
  if (rg) args.push_back("requires_grad=True");
  std::string r = ctor + "(";
  for (size_t i = 0; i < args.size(); ++i) r += (i ? ", " : "") + args[i];
  return r + ")";
}

Text Writer::operand(const Node &user, size_t slot) {
  const Node *o = user.operands[slot];
  if (o->op == OpKind::Constant) {
    std::string s = dslNumber(getFloat(o->attrs, "value", 0));
    return {s, s[0] == '-' ? kUnary : kAtom};
  }
  if (inlined_.count(o)) return expr(*o);
  if (!o->name.empty()) return {dslName(o->name), kAtom};
  return {temps_.at(o), kAtom};
}

std::string Writer::call(const Node &n, const std::string &name, size_t from,
                         std::vector<std::string> args, bool keywords) {
  std::vector<std::string> all;
  for (size_t i = from; i < n.operands.size(); ++i)
    all.push_back(operand(n, i).s);
  all.insert(all.end(), args.begin(), args.end());
  if (keywords)
    for (const auto &kv : n.attrs)
      all.push_back(kv.first + "=" + attrText(kv.second));
  std::string r = name + "(";
  for (size_t i = 0; i < all.size(); ++i) r += (i ? ", " : "") + all[i];
  return r + ")";
}

std::string Writer::method(const Node &n, const std::string &name,
                           std::vector<std::string> args, bool keywords) {
  return wrap(operand(n, 0), kPostfix) + "." +
         call(n, name, 1, std::move(args), keywords);
}

Text Writer::expr(const Node &n) {
  const std::string name = n.info().name;
  int prec = 0;
  const char *op = infixOp(n.op, prec);
  // Arithmetic on two literals would be folded on reading (2 + 3 is 5):
  // such nodes are written as calls, add(2, 3).
  if (op && prec != kCompare && literal(n, 0) && literal(n, 1))
    op = nullptr;
  if (op) {
    int lmin = prec, rmin = prec + 1;
    if (n.op == OpKind::Pow) lmin = kPostfix, rmin = kUnary; // -x**2, x**-1
    if (prec == kCompare) lmin = rmin = kArith; // No chained comparisons.
    return {wrap(operand(n, 0), lmin) + " " + op + " " +
                wrap(operand(n, 1), rmin),
            prec};
  }
  if (n.op == OpKind::Neg) {
    // -2 would read back as the literal -2, not as neg of a constant.
    if (literal(n, 0)) return {call(n, "neg", 0, {}, false), kPostfix};
    std::string s = wrap(operand(n, 0), kUnary);
    return {"-" + (s[0] == '-' ? "(" + s + ")" : s), kUnary};
  }
  // Method forms need a tensor receiver: x.sum(), not 2.sum().
  bool tensorFirst = !n.operands.empty() && !literal(n, 0);
  // Forms of their own for the reductions, the shape ops and a few
  // others; every other op (and a form whose arguments do not fit) is
  // written as a call, which the DSL reads back as the same node.
  OpClass cls = n.info().cls;
  if (cls == OpClass::Reduce || n.op == OpKind::Detach) {
    // Reductions: the canonical dim list, as dim=K when it has one entry.
    // An empty list only stays on a rank-0 operand, where dim=0 gives it.
    std::vector<std::string> args;
    for (const auto &kv : n.attrs) {
      const auto *l = std::get_if<std::vector<int64_t>>(&kv.second);
      std::string v = attrText(kv.second);
      if (kv.first == "dim" && l && l->size() == 1) v = std::to_string((*l)[0]);
      if (kv.first == "dim" && l && l->empty() &&
          n.operands[0]->type.rank() == 0)
        v = "0";
      args.push_back(kv.first + "=" + v);
    }
    if (!tensorFirst) return {call(n, name, 0, args, false), kPostfix};
    return {method(n, name, args, false), kPostfix};
  }
  if (cls == OpClass::Shape) {
    switch (shapeOp(n.op)) {
    case ShapeOp::Reshape: case ShapeOp::Expand: case ShapeOp::Permute: {
      const char *key = n.op == OpKind::Permute ? "dims" : "shape";
      const auto *l = intList(n, key);
      if (!tensorFirst || !l || n.attrs.size() != 1) break;
      std::string a = l->empty() ? "[]" : ints(*l);
      return {method(n, name, {a}, false), kPostfix};
    }
    case ShapeOp::Transpose: {
      const int64_t *d0 = intAttr(n, "dim0"), *d1 = intAttr(n, "dim1");
      if (!tensorFirst || !d0 || !d1 || n.attrs.size() != 2) break;
      return {method(n, name, {std::to_string(*d0), std::to_string(*d1)}, false),
              kPostfix};
    }
    case ShapeOp::Squeeze: case ShapeOp::Unsqueeze: {
      auto it = n.attrs.find("dim");
      if (!tensorFirst || it == n.attrs.end() || n.attrs.size() != 1) break;
      const auto *l = std::get_if<std::vector<int64_t>>(&it->second);
      std::string a = l && l->size() == 1 ? std::to_string((*l)[0])
                                          : attrText(it->second);
      return {method(n, name, {a}, false), kPostfix};
    }
    case ShapeOp::Slice: {
      const int64_t *d = intAttr(n, "dim"), *s = intAttr(n, "start"),
                    *e = intAttr(n, "end"), *st = intAttr(n, "step");
      // The shape rule fills in all four; a graph written with size
      // variables may leave out start, end and step (frontend/SizeVarWriter).
      size_t given = 1 + (s != nullptr) + (e != nullptr) + (st != nullptr);
      if (!tensorFirst || !d || n.attrs.size() != given || *d < 0 || *d > 64)
        break;
      // x[:, 1:3] slices dim 1; the shape rule fills in start 0 and step 1.
      std::string idx;
      for (int64_t i = 0; i < *d; ++i) idx += ":, ";
      idx += (s && *s ? std::to_string(*s) : "") + ":" + (e ? std::to_string(*e) : "");
      if (st && *st != 1) idx += ":" + std::to_string(*st);
      return {wrap(operand(n, 0), kPostfix) + "[" + idx + "]", kPostfix};
    }
    case ShapeOp::Select: {
      // x[:, 2] selects index 2 of dim 1.
      const int64_t *d = intAttr(n, "dim"), *i = intAttr(n, "index");
      if (!tensorFirst || !d || !i || n.attrs.size() != 2 || *d < 0 || *d > 64) break;
      std::string idx;
      for (int64_t k = 0; k < *d; ++k) idx += ":, ";
      return {wrap(operand(n, 0), kPostfix) + "[" + idx + std::to_string(*i) + "]",
              kPostfix};
    }
    case ShapeOp::Concat: {
      std::string list = "[";
      for (size_t i = 0; i < n.operands.size(); ++i)
        list += (i ? ", " : "") + operand(n, i).s;
      std::string r = "cat(" + list + "]";
      for (const auto &kv : n.attrs)
        r += ", " + kv.first + "=" + attrText(kv.second);
      return {r + ")", kPostfix};
    }
    }
  }
  if (n.op == OpKind::Full) {
    // Module-qualified: a bare full([2, 3], v) on a line of its own
    // declares an input initialized to v, not this constant. A value
    // named torch would make torch.full a method call: another of the
    // module prefixes the DSL reads then.
    std::string fn;
    for (const char *m : {"torch", "T", "F", "nn", "functional", "math"}) {
      bool taken = false;
      for (const Node *o : nodes_) taken |= o->name == m;
      if (!taken) {
        fn = std::string(m) + ".full";
        break;
      }
    }
    if (fn.empty())
      inexpressible(n, "the full op needs a module prefix (torch.full), and "
                       "every one is the name of a value");
    // PyTorch's order: torch.full(size, fill_value, dtype=...).
    if (n.attrs.count("size") && n.attrs.count("fill_value")) {
      std::vector<std::string> args = {attrText(n.attrs.at("size")),
                                       attrText(n.attrs.at("fill_value"))};
      for (const auto &kv : n.attrs)
        if (kv.first != "size" && kv.first != "fill_value")
          args.push_back(kv.first + "=" + attrText(kv.second));
      return {call(n, fn, 0, args, false), kPostfix};
    }
    return {call(n, fn, 0, {}, true), kPostfix};
  }
  if (n.op == OpKind::Gather || n.op == OpKind::IndexSelect) {
    // PyTorch's order: x.gather(dim, index), x.index_select(dim, index).
    const int64_t *d = intAttr(n, "dim");
    if (tensorFirst && !literal(n, 1) && d && n.attrs.size() == 1)
      return {wrap(operand(n, 0), kPostfix) + "." + name + "(" +
                  std::to_string(*d) + ", " + operand(n, 1).s + ")",
              kPostfix};
  }
  return {call(n, name, 0, {}, true), kPostfix};
}

std::string Writer::run() {
  if (!g_.gradients().empty())
    throw Error("cannot write graph as DSL: it has gradient results (it is "
                "past autodiff); write the source-level graph");
  if (g_.name().empty())
    throw Error("cannot write graph as DSL: the graph has no name");
  if (g_.outputs().empty())
    throw Error("cannot write graph as DSL: the graph has no outputs");
  for (const auto &np : g_.nodes()) {
    const Node &n = *np;
    nodes_.push_back(&n);
    if (n.op == OpKind::Seed)
      inexpressible(n, "seeds exist only after autodiff");
    if (n.op == OpKind::Input && n.name.empty())
      inexpressible(n, "an input needs a name");
    for (const Node *o : n.operands) ++uses_[o];
  }
  for (const Node *n : nodes_)
    if (n->op == OpKind::Constant && uses_[n] != 1)
      inexpressible(*n, "a literal constant must have exactly one use");
  plan();

  std::string out = "graph " + dslName(g_.name()) + "\n\n";
  bool anyInput = false;
  for (const Node *n : nodes_)
    if (n->op == OpKind::Input) {
      out += dslName(n->name) + " = " + input(*n) + "\n";
      anyInput = true;
    }
  if (anyInput) out += "\n";
  bool noGrad = false;
  int temps = 0;
  for (const Node *n : nodes_) {
    if (n->op == OpKind::Input || n->op == OpKind::Constant ||
        inlined_.count(n))
      continue;
    if (n->noGrad && !noGrad) out += "with no_grad:\n";
    noGrad = n->noGrad;
    std::string target = n->name.empty()
                             ? (temps_[n] = "$" + std::to_string(temps++))
                             : dslName(n->name);
    out += (noGrad ? "    " : "") + target + " = " + expr(*n).s + "\n";
  }
  std::string ret;
  for (const GraphOutput &o : g_.outputs()) {
    if (o.node->name.empty() || o.node->name != o.name)
      throw Error("cannot write graph as DSL: output '" + o.name +
                  "' must be the node of the same name");
    ret += (ret.empty() ? "" : ", ") + dslName(o.name);
  }
  return out + "return " + ret + "\n";
}

} // namespace

std::string writeDslGraph(const Graph &g, const GraphSignature *sizes) {
  return Writer(g, sizes).run();
}

} // namespace gradc
