//===- passes/ConstantFold.cpp - Evaluates nodes of constants -------------===//
#include "passes/ConstantFold.h"

#include "passes/GraphRewrite.h"

#include <cmath>
#include <cstdint>
#include <unordered_set>

namespace gradc {
namespace {

/// A comparison of two values of type T (1 or 0), or nullopt for any other
/// op.
template <typename T>
std::optional<double> compare(OpKind op, T a, T b) {
  if (op == OpKind::Lt) return a < b;
  if (op == OpKind::Le) return a <= b;
  if (op == OpKind::Gt) return a > b;
  if (op == OpKind::Ge) return a >= b;
  if (op == OpKind::Eq) return a == b;
  if (op == OpKind::Ne) return a != b;
  return std::nullopt; // not folded
}

/// One elementwise op on values of type T, spelled as the generated code
/// spells it (codegen/ElementwiseExpr.cpp), or nullopt. Only the ops named
/// here fold; every other op (the activations, which read attributes,
/// among them) is left to the generated code: not folding is never a wrong
/// answer, so a new op needs nothing here.
template <typename T>
std::optional<double> evalFloat(OpKind op, const std::vector<double> &v) {
  T a = v.empty() ? T(0) : static_cast<T>(v[0]);
  T b = v.size() > 1 ? static_cast<T>(v[1]) : T(0);
  if (op == OpKind::Neg) return -a;
  if (op == OpKind::Exp) return std::exp(a);
  if (op == OpKind::Log) return std::log(a);
  if (op == OpKind::Sqrt) return std::sqrt(a);
  if (op == OpKind::Abs) return std::fabs(a);
  if (op == OpKind::Sin) return std::sin(a);
  if (op == OpKind::Cos) return std::cos(a);
  if (op == OpKind::Tanh) return std::tanh(a);
  if (op == OpKind::Sigmoid) return T(1) / (T(1) + std::exp(-a));
  if (op == OpKind::Relu) return a < T(0) ? T(0) : a;
  if (op == OpKind::Sign) return a > T(0) ? T(1) : (a < T(0) ? T(-1) : a);
  if (op == OpKind::Detach) return a;
  if (op == OpKind::Add) return a + b;
  if (op == OpKind::Sub) return a - b;
  if (op == OpKind::Mul) return a * b;
  if (op == OpKind::Div) return a / b;
  if (op == OpKind::Pow) return std::pow(a, b);
  if (op == OpKind::Maximum) return (a > b || a != a) ? a : b;
  if (op == OpKind::Minimum) return (a < b || a != a) ? a : b;
  return compare(op, a, b);
}

/// Integer ops wrap around as the generated code's do on real hardware;
/// computing in uint64_t keeps the C++ here free of signed overflow. As
/// evalFloat, the ops not named here do not fold.
template <typename T>
std::optional<double> evalInt(OpKind op, const std::vector<double> &v) {
  T a = v.empty() ? T(0) : static_cast<T>(v[0]);
  T b = v.size() > 1 ? static_cast<T>(v[1]) : T(0);
  using U = std::make_unsigned_t<T>;
  auto wrap = [](U x) { return static_cast<double>(static_cast<T>(x)); };
  if (op == OpKind::Neg) return wrap(U(0) - U(a));
  if (op == OpKind::Abs) return a < 0 ? wrap(U(0) - U(a)) : double(a);
  if (op == OpKind::Relu) return a < 0 ? 0.0 : double(a);
  if (op == OpKind::Sign) return a > 0 ? 1.0 : (a < 0 ? -1.0 : 0.0);
  if (op == OpKind::Detach) return double(a);
  if (op == OpKind::Add) return wrap(U(a) + U(b));
  if (op == OpKind::Sub) return wrap(U(a) - U(b));
  if (op == OpKind::Mul) return wrap(U(a) * U(b));
  if (op == OpKind::Maximum) return double(a > b ? a : b);
  if (op == OpKind::Minimum) return double(a < b ? a : b);
  return compare(op, a, b);
}

/// The splat value `n` evaluates to when all its operands are splats.
std::optional<double> foldNode(const Node *n,
                               const std::vector<double> &vals) {
  OpClass cls = n->info().cls;
  // A view of a splat (of any shape) is the same splat.
  if (isView(n->op)) return vals[0];
  if (isReduction(n->op)) {
    const Node *x = n->operands[0];
    if (x->type.numel() == 0) return std::nullopt; // empty: leave to codegen
    if (n->op != OpKind::Sum) return vals[0];      // mean/max/min of a splat
    int64_t count = x->type.numel() / std::max<int64_t>(n->type.numel(), 1);
    // An exact product rounded once: what a careful summation gives.
    double s = vals[0] * static_cast<double>(count);
    return n->type.dtype == DType::F32 ? double(float(s)) : s;
  }
  if (n->op == OpKind::Where) return vals[0] != 0 ? vals[1] : vals[2];
  if (cls != OpClass::Unary && cls != OpClass::Binary &&
      cls != OpClass::Compare)
    return std::nullopt;
  return evaluateScalar(n->op, n->operands[0]->type.dtype, vals);
}

} // namespace

std::optional<double> evaluateScalar(OpKind op, DType dtype,
                                     const std::vector<double> &operands) {
  switch (dtype) {
  case DType::F32: return evalFloat<float>(op, operands);
  case DType::F64: return evalFloat<double>(op, operands);
  case DType::I32: return evalInt<int32_t>(op, operands);
  case DType::I64: return evalInt<int64_t>(op, operands);
  case DType::Bool:
    if (op == OpKind::Eq) return operands[0] == operands[1];
    if (op == OpKind::Ne) return operands[0] != operands[1];
    return std::nullopt;
  }
  return std::nullopt;
}

bool foldConstants(Graph &g) {
  bool changed = false;
  std::vector<Node *> nodes;
  for (const auto &n : g.nodes()) nodes.push_back(n.get());
  std::unordered_set<const Node *> outputs;
  for (const auto &o : g.outputs()) outputs.insert(o.node);
  auto isOutput = [&](const Node *n) { return outputs.count(n) > 0; };
  // Topological order: a folded node's users see the new constant.
  Replacements rep;
  for (Node *n : nodes) {
    rep.rewriteOperands(n);
    if (n->info().cls == OpClass::Leaf || n->operands.empty()) continue;
    std::vector<double> vals;
    for (const Node *o : n->operands) {
      std::optional<double> v = splatValue(o);
      if (!v) break;
      vals.push_back(*v);
    }
    if (vals.size() != n->operands.size()) continue;
    std::optional<double> v = foldNode(n, vals);
    if (!v) continue;
    // A constant does not require grad: keep outputs that do as they are.
    if (n->requiresGrad && isOutput(n)) continue;
    rep.add(n, g.addConstant(n->type, *v));
    changed = true;
  }
  rep.apply(g);
  if (changed) {
    removeDeadNodes(g);
    restoreTopologicalOrder(g);
  }
  return changed;
}

std::unique_ptr<Pass> createConstantFoldPass() {
  return makePass("const-fold", foldConstants);
}

} // namespace gradc
