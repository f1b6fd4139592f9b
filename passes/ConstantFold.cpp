//===- passes/ConstantFold.cpp - Evaluates nodes of constants -------------===//
#include "passes/ConstantFold.h"

#include "passes/GraphRewrite.h"

#include <cmath>
#include <cstdint>
#include <unordered_set>

namespace gradc {
namespace {

/// One elementwise op on values of type T, spelled as the generated code
/// spells it (codegen/OpEmitter.cpp, elementwiseExpr).
template <typename T>
std::optional<double> evalFloat(OpKind op, const std::vector<double> &v) {
  T a = v.empty() ? T(0) : static_cast<T>(v[0]);
  T b = v.size() > 1 ? static_cast<T>(v[1]) : T(0);
  switch (op) {
  case OpKind::Neg: return -a;
  case OpKind::Exp: return std::exp(a);
  case OpKind::Log: return std::log(a);
  case OpKind::Sqrt: return std::sqrt(a);
  case OpKind::Abs: return std::fabs(a);
  case OpKind::Sin: return std::sin(a);
  case OpKind::Cos: return std::cos(a);
  case OpKind::Tanh: return std::tanh(a);
  case OpKind::Sigmoid: return T(1) / (T(1) + std::exp(-a));
  case OpKind::Relu: return a < T(0) ? T(0) : a;
  case OpKind::Sign: return a > T(0) ? T(1) : (a < T(0) ? T(-1) : a);
  case OpKind::Detach: return a;
  case OpKind::Add: return a + b;
  case OpKind::Sub: return a - b;
  case OpKind::Mul: return a * b;
  case OpKind::Div: return a / b;
  case OpKind::Pow: return std::pow(a, b);
  case OpKind::Maximum: return (a > b || a != a) ? a : b;
  case OpKind::Minimum: return (a < b || a != a) ? a : b;
  case OpKind::Lt: return a < b;
  case OpKind::Le: return a <= b;
  case OpKind::Gt: return a > b;
  case OpKind::Ge: return a >= b;
  case OpKind::Eq: return a == b;
  case OpKind::Ne: return a != b;
  case OpKind::Input: case OpKind::Constant: case OpKind::Seed:
  // The activations read attributes; they are not folded.
  case OpKind::Gelu: case OpKind::Silu: case OpKind::LeakyRelu: case OpKind::Elu:
  case OpKind::Softplus: case OpKind::Erf: case OpKind::Log1p: case OpKind::Expm1:
  case OpKind::Rsqrt: case OpKind::Reciprocal: case OpKind::Clamp:
  case OpKind::Hardtanh:
  case OpKind::Logsumexp: case OpKind::Var: case OpKind::Std: case OpKind::Norm:
  case OpKind::Argmax: case OpKind::Argmin:
  case OpKind::Triu: case OpKind::Tril: case OpKind::Dropout:
  case OpKind::MaskedFill:
  case OpKind::Cumsum:
  case OpKind::Where: case OpKind::Sum: case OpKind::Mean: case OpKind::Max:
  case OpKind::Min: case OpKind::Reshape: case OpKind::Expand:
  case OpKind::Transpose: case OpKind::Permute: case OpKind::Squeeze:
  case OpKind::Unsqueeze: case OpKind::Concat: case OpKind::Slice:
  case OpKind::Matmul: case OpKind::Softmax: case OpKind::LogSoftmax:
  case OpKind::CrossEntropy: case OpKind::NllLoss: case OpKind::MseLoss: case OpKind::ArgmaxMask:
  case OpKind::ArgminMask: case OpKind::SliceBackward:
  case OpKind::Grad:
  case OpKind::CrossEntropyBackward: case OpKind::NllLossBackward: case OpKind::Gemm: case OpKind::Conv2d:
  case OpKind::Conv2dInputBackward: case OpKind::Conv2dWeightBackward:
  case OpKind::MaxPool2d: case OpKind::AvgPool2d:
  case OpKind::AdaptiveAvgPool2d: case OpKind::MaxPool2dBackward:
  case OpKind::AvgPool2dBackward: case OpKind::AdaptiveAvgPool2dBackward:
  case OpKind::LayerNorm: case OpKind::LayerNormBackward:
  case OpKind::LayerNormXhat: case OpKind::Conv1d:
  case OpKind::GroupNorm: case OpKind::GroupNormBackward:
  case OpKind::GroupNormXhat:
  case OpKind::Embedding: case OpKind::IndexSelect: case OpKind::Gather:
  case OpKind::Select: case OpKind::OneHot:
  case OpKind::IndexSelectBackward: case OpKind::GatherBackward:
  case OpKind::Arange: case OpKind::Full: case OpKind::ZerosLike: case OpKind::OnesLike:
    return std::nullopt;
  }
}

/// Integer ops wrap around as the generated code's do on real hardware;
/// computing in uint64_t keeps the C++ here free of signed overflow.
template <typename T>
std::optional<double> evalInt(OpKind op, const std::vector<double> &v) {
  T a = v.empty() ? T(0) : static_cast<T>(v[0]);
  T b = v.size() > 1 ? static_cast<T>(v[1]) : T(0);
  using U = std::make_unsigned_t<T>;
  auto wrap = [](U x) { return static_cast<double>(static_cast<T>(x)); };
  switch (op) {
  case OpKind::Neg: return wrap(U(0) - U(a));
  case OpKind::Abs: return a < 0 ? wrap(U(0) - U(a)) : double(a);
  case OpKind::Relu: return a < 0 ? 0.0 : double(a);
  case OpKind::Sign: return a > 0 ? 1.0 : (a < 0 ? -1.0 : 0.0);
  case OpKind::Detach: return double(a);
  case OpKind::Add: return wrap(U(a) + U(b));
  case OpKind::Sub: return wrap(U(a) - U(b));
  case OpKind::Mul: return wrap(U(a) * U(b));
  case OpKind::Maximum: return double(a > b ? a : b);
  case OpKind::Minimum: return double(a < b ? a : b);
  case OpKind::Lt: return a < b;
  case OpKind::Le: return a <= b;
  case OpKind::Gt: return a > b;
  case OpKind::Ge: return a >= b;
  case OpKind::Eq: return a == b;
  case OpKind::Ne: return a != b;
  case OpKind::Input: case OpKind::Constant: case OpKind::Seed:
  // The activations read attributes; they are not folded.
  case OpKind::Gelu: case OpKind::Silu: case OpKind::LeakyRelu: case OpKind::Elu:
  case OpKind::Softplus: case OpKind::Erf: case OpKind::Log1p: case OpKind::Expm1:
  case OpKind::Rsqrt: case OpKind::Reciprocal: case OpKind::Clamp:
  case OpKind::Hardtanh:
  case OpKind::Logsumexp: case OpKind::Var: case OpKind::Std: case OpKind::Norm:
  case OpKind::Argmax: case OpKind::Argmin:
  case OpKind::Triu: case OpKind::Tril: case OpKind::Dropout:
  case OpKind::MaskedFill:
  case OpKind::Cumsum:
  case OpKind::Exp: case OpKind::Log: case OpKind::Sqrt: case OpKind::Sin:
  case OpKind::Cos: case OpKind::Tanh: case OpKind::Sigmoid: case OpKind::Div:
  case OpKind::Pow: case OpKind::Where: case OpKind::Sum: case OpKind::Mean:
  case OpKind::Max: case OpKind::Min: case OpKind::Reshape:
  case OpKind::Expand: case OpKind::Transpose: case OpKind::Permute:
  case OpKind::Squeeze: case OpKind::Unsqueeze: case OpKind::Concat:
  case OpKind::Slice: case OpKind::Matmul: case OpKind::Softmax:
  case OpKind::LogSoftmax: case OpKind::CrossEntropy: case OpKind::NllLoss: case OpKind::MseLoss:
  case OpKind::ArgmaxMask: case OpKind::ArgminMask:
  case OpKind::SliceBackward: case OpKind::CrossEntropyBackward: case OpKind::NllLossBackward:
  case OpKind::Grad:
  case OpKind::Gemm: case OpKind::Conv2d:
  case OpKind::Conv2dInputBackward: case OpKind::Conv2dWeightBackward:
  case OpKind::MaxPool2d: case OpKind::AvgPool2d:
  case OpKind::AdaptiveAvgPool2d: case OpKind::MaxPool2dBackward:
  case OpKind::AvgPool2dBackward: case OpKind::AdaptiveAvgPool2dBackward:
  case OpKind::LayerNorm: case OpKind::LayerNormBackward:
  case OpKind::LayerNormXhat: case OpKind::Conv1d:
  case OpKind::GroupNorm: case OpKind::GroupNormBackward:
  case OpKind::GroupNormXhat:
  case OpKind::Embedding: case OpKind::IndexSelect: case OpKind::Gather:
  case OpKind::Select: case OpKind::OneHot:
  case OpKind::IndexSelectBackward: case OpKind::GatherBackward:
  case OpKind::Arange: case OpKind::Full: case OpKind::ZerosLike: case OpKind::OnesLike: return std::nullopt;
  }
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
