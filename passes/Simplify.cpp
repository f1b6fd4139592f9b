//===- passes/Simplify.cpp - Algebraic simplification ---------------------===//
#include "passes/Simplify.h"

#include "ir/Error.h"
#include "passes/GraphRewrite.h"

#include <algorithm>

namespace gradc {
namespace {

Shape stripLeadingOnes(const Shape &s) {
  size_t i = 0;
  while (i < s.size() && s[i] == 1) ++i;
  return Shape(s.begin() + i, s.end());
}

/// Builds replacement nodes. A replacement of a forward node inherits its
/// flags, so dumps keep showing grad_fn where PyTorch would.
class Rewriter {
public:
  explicit Rewriter(Graph &g) : g_(g) {}

  Node *make(OpKind k, std::vector<Node *> operands, AttrMap attrs,
             const Node *like) {
    Node *n = g_.addNode(k, std::move(operands), std::move(attrs));
    n->requiresGrad = like->requiresGrad;
    n->noGrad = like->noGrad;
    return n;
  }
  Node *reshape(Node *x, const Shape &s, const Node *like) {
    if (x->type.shape == s) return x;
    return make(OpKind::Reshape, {x}, {{"shape", s}}, like);
  }
  Node *expand(Node *x, const Shape &s, const Node *like) {
    if (x->type.shape == s) return x;
    return make(OpKind::Expand, {x}, {{"shape", s}}, like);
  }
  Node *constant(double v, DType t) { return g_.addConstant({t, {}}, v); }

  /// The rewritten form of `n`, or nullptr when no rule applies.
  Node *simplify(Node *n);
  /// Use counts of the graph as the round starts.
  void countUses() { uses_ = gradc::countUses(g_); }

private:
  Node *arithmetic(Node *n);
  Node *views(Node *n);
  Node *reduction(Node *n);
  Node *throughExpand(Node *n);
  Node *transposedProduct(Node *n);

  Graph &g_;
  std::unordered_map<const Node *, int> uses_;
};

/// Identities of the elementwise arithmetic ops. Only the ops named here
/// have rules; every other op keeps its node (not simplifying is never a
/// wrong answer, so a new op needs nothing here).
Node *Rewriter::arithmetic(Node *n) {
  Node *a = n->operands.empty() ? nullptr : n->operands[0];
  Node *b = n->operands.size() > 1 ? n->operands[1] : nullptr;
  if (n->op == OpKind::Add) {
    if (isConstantEqual(b, 0) || isConstantEqual(b, -0.0)) return a; // x + 0
    if (isConstantEqual(a, 0) || isConstantEqual(a, -0.0)) return b; // 0 + x
    if (a == b) // x + x = 2x exactly
      return make(OpKind::Mul, {a, constant(2, a->type.dtype)}, {}, n);
    if (b->op == OpKind::Neg) // x + (-y) = x - y
      return make(OpKind::Sub, {a, b->operands[0]}, {}, n);
    if (a->op == OpKind::Neg) // (-x) + y = y - x
      return make(OpKind::Sub, {b, a->operands[0]}, {}, n);
    return nullptr;
  }
  if (n->op == OpKind::Sub) {
    if (isConstantEqual(b, 0)) return a;                 // x - 0
    if (b->op == OpKind::Neg)                            // x - (-y) = x + y
      return make(OpKind::Add, {a, b->operands[0]}, {}, n);
    if (isConstantEqual(a, 0) && b->type == n->type)     // 0 - x = -x
      return make(OpKind::Neg, {b}, {}, n);
    return nullptr;
  }
  if (n->op == OpKind::Mul) {
    if (isConstantEqual(b, 1)) return a;                 // x * 1
    if (isConstantEqual(a, 1)) return b;                 // 1 * x
    if (isConstantEqual(b, -1) && a->type == n->type)    // x * -1 = -x
      return make(OpKind::Neg, {a}, {}, n);
    if (isConstantEqual(a, -1) && b->type == n->type)
      return make(OpKind::Neg, {b}, {}, n);
    if (a->op == OpKind::Neg && b->op == OpKind::Neg)    // (-x)(-y) = xy
      return make(OpKind::Mul, {a->operands[0], b->operands[0]}, {}, n);
    return nullptr;
  }
  if (n->op == OpKind::Div) {
    if (isConstantEqual(b, 1)) return a;                 // x / 1
    return nullptr;
  }
  if (n->op == OpKind::Pow) {
    if (isConstantEqual(b, 1)) return a;                 // x ** 1
    if (isConstantEqual(b, 2) && a->type == n->type)     // x ** 2 = x * x
      return make(OpKind::Mul, {a, a}, {}, n);
    if (isConstantEqual(b, 0))                           // IEEE pow(x, 0) = 1
      return g_.addConstant(n->type, 1);
    return nullptr;
  }
  if (n->op == OpKind::Neg) {
    if (a->op == OpKind::Neg) return a->operands[0];     // -(-x)
    return nullptr;
  }
  if (n->op == OpKind::Detach) return a;
  if (n->op == OpKind::Where) {
    Node *x = n->operands[1], *y = n->operands[2];
    if (x == y) return x;                                // where(c, a, a)
    if (auto c = splatValue(a)) return *c != 0 ? x : y;  // constant mask
    return nullptr;
  }
  return nullptr; // no rule
}

/// Chains of views and broadcasts collapse to one.
Node *Rewriter::views(Node *n) {
  Node *x = n->operands[0];
  const Shape &s = n->type.shape;
  if (isReshape(n->op)) {
    if (x->type.shape == s) return x;
    if (isReshape(x->op)) return reshape(x->operands[0], s, n);
    return nullptr;
  }
  if (n->op == OpKind::Expand) {
    if (x->type.shape == s) return x;
    if (x->op == OpKind::Expand) return expand(x->operands[0], s, n);
    // Broadcasting aligns trailing dims, so leading 1s do not matter.
    if (isReshape(x->op) &&
        stripLeadingOnes(x->operands[0]->type.shape) ==
            stripLeadingOnes(x->type.shape))
      return expand(x->operands[0], s, n);
    return nullptr;
  }
  if (n->op == OpKind::Transpose && x->op == OpKind::Transpose &&
      n->attrs == x->attrs)
    return x->operands[0];
  if (n->op == OpKind::Transpose) return transposedProduct(n);
  return nullptr;
}

/// (A B)^T = B^T A^T: a transposed product is the product of the operands
/// swapped and read transposed, so no transposed copy is ever made (the
/// weight gradient of x @ W.t() arrives transposed).
Node *Rewriter::transposedProduct(Node *n) {
  Node *p = n->operands[0];
  int64_t r = n->type.rank();
  if (r < 2 || uses_[p] != 1) return nullptr;
  int64_t d0 = getInt(n->attrs, "dim0", 0), d1 = getInt(n->attrs, "dim1", 0);
  if (std::min(d0, d1) != r - 2 || std::max(d0, d1) != r - 1) return nullptr;
  bool ta = false, tb = false;
  if (p->op == OpKind::Gemm) {
    ta = getBool(p->attrs, "trans_a", false);
    tb = getBool(p->attrs, "trans_b", false);
  } else if (p->op != OpKind::Matmul || p->operands[0]->type.rank() < 2 ||
             p->operands[1]->type.rank() < 2) {
    return nullptr;
  }
  return make(OpKind::Gemm, {p->operands[1], p->operands[0]},
              {{"trans_a", !tb}, {"trans_b", !ta}}, n);
}

/// Reductions that need no loop: of a broadcast over exactly the broadcast
/// dims. A reduction over dims of size 1 stays a reduction (a loop of one
/// trip): were it a copy, a batch of 1 would fuse and plan its buffers
/// otherwise than every other batch size, and a graph with a symbolic batch
/// could not share the code of B = 1 with the rest (docs/symbolic-sizes.md).
Node *Rewriter::reduction(Node *n) {
  Node *x = n->operands[0];
  const Shape &xs = x->type.shape;
  std::vector<int64_t> all;
  for (int64_t d = 0; d < x->type.rank(); ++d) all.push_back(d);
  std::vector<int64_t> dims = getInts(n->attrs, "dim", all);

  if (x->op != OpKind::Expand) return nullptr;
  Node *src = x->operands[0];
  Shape ss = src->type.shape;
  ss.insert(ss.begin(), xs.size() - ss.size(), 1);
  int64_t count = 1;
  for (size_t d = 0; d < xs.size(); ++d) {
    bool reduced = std::binary_search(dims.begin(), dims.end(), int64_t(d));
    bool broadcast = ss[d] == 1 && xs[d] != 1;
    if (reduced && ss[d] != 1) return nullptr; // a real dim is summed
    if (broadcast && !reduced) return nullptr; // a broadcast dim survives
    if (reduced) count *= xs[d];
  }
  Node *r = src;
  if (n->op == OpKind::Sum) // a sum of `count` copies of each element
    r = make(OpKind::Mul,
             {src, constant(static_cast<double>(count), src->type.dtype)}, {},
             n);
  return reshape(r, n->type.shape, n);
}

/// f(expand(a), ...) -> expand(f(a, ...)): the op runs on fewer elements.
Node *Rewriter::throughExpand(Node *n) {
  OpClass cls = n->info().cls;
  if (cls != OpClass::Unary && cls != OpClass::Binary &&
      cls != OpClass::Compare)
    return nullptr;
  bool anyExpand = false;
  std::vector<Node *> small;
  for (Node *o : n->operands) {
    if (o->op == OpKind::Expand) {
      small.push_back(o->operands[0]);
      anyExpand = true;
    } else if (o->type.rank() == 0) {
      small.push_back(o);
    } else {
      return nullptr;
    }
  }
  if (!anyExpand) return nullptr;
  Shape t = small[0]->type.shape;
  for (size_t i = 1; i < small.size(); ++i) {
    auto b = broadcastShapes(t, small[i]->type.shape);
    if (!b) return nullptr;
    t = *b;
  }
  if (numElements(t) >= n->type.numel()) return nullptr;
  return expand(make(n->op, small, n->attrs, n), n->type.shape, n);
}

Node *Rewriter::simplify(Node *n) {
  switch (n->info().cls) {
  case OpClass::Leaf:
    return nullptr;
  case OpClass::Shape:
    return views(n);
  case OpClass::Reduce:
    return reduction(n);
  case OpClass::Unary: case OpClass::Binary: case OpClass::Compare:
  case OpClass::Ternary: case OpClass::Special:
    break;
  }
  if (Node *r = arithmetic(n)) return r;
  return throughExpand(n);
}

} // namespace

bool simplifyAlgebra(Graph &g) {
  bool changed = false;
  Rewriter rw(g);
  // Each round visits every node once; rewrites expose further ones, so
  // repeat until nothing applies (bounded, in case of a ping-pong).
  for (int round = 0; round < 16; ++round) {
    bool any = false;
    std::vector<Node *> nodes;
    for (const auto &n : g.nodes()) nodes.push_back(n.get());
    size_t before = nodes.size();
    Replacements rep;
    rw.countUses();
    for (Node *n : nodes) {
      rep.rewriteOperands(n); // rules see the operands' rewritten forms
      Node *r = nullptr;
      try {
        r = rw.simplify(n);
      } catch (const Error &) {
        r = nullptr; // a rule built something the op table rejects: skip
      }
      if (!r || r == n || !canReplace(g, n, r)) continue;
      rep.add(n, r);
      any = true;
    }
    rep.apply(g);
    // Drop what the rewrites orphaned (and nodes built for a rejected one).
    if (any || g.nodes().size() != before) removeDeadNodes(g);
    if (!any) break;
    restoreTopologicalOrder(g);
    changed = true;
  }
  return changed;
}

std::unique_ptr<Pass> createSimplifyPass() {
  return makePass("simplify", simplifyAlgebra);
}

} // namespace gradc
