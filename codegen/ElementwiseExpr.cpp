//===- codegen/ElementwiseExpr.cpp - The scalar expression of each op -----===//
//
// One C++ expression per elementwise op, over its operands' scalar
// spellings: the table the loop emitters (codegen/LoopEmitter,
// codegen/OpEmitter) instantiate inside their loops.
//
//===----------------------------------------------------------------------===//
#include "codegen/OpEmitter.h"

#include "codegen/EmitUtil.h"
#include "ir/Error.h"

#include <cmath>

namespace gradc {

using emit::mathFn;

std::string elementwiseExpr(const Node *n, const std::vector<std::string> &a) {
  DType t = n->operands.empty() ? n->type.dtype : n->operands.back()->type.dtype;
  std::string T = dtypeCppName(n->type.dtype);
  auto lit = [&](double v) { return literal(v, t); };
  auto call = [&](const char *f) { return mathFn(f, t) + "(" + a[0] + ")"; };
  switch (n->op) {
  case OpKind::Neg: return "(-" + a[0] + ")";
  case OpKind::Exp: return call("exp");
  case OpKind::Log: return call("log");
  case OpKind::Sqrt: return call("sqrt");
  case OpKind::Sin: return call("sin");
  case OpKind::Cos: return call("cos");
  case OpKind::Tanh: // f32: the vectorizable form in the prelude
    return t == DType::F32 ? "gc_tanhf(" + a[0] + ")" : call("tanh");
  case OpKind::Abs:
    if (isFloat(t)) return call("fabs");
    return "(" + a[0] + " < 0 ? -" + a[0] + " : " + a[0] + ")";
  case OpKind::Sigmoid: // 1 / (1 + e^-x)
    return "(" + lit(1) + " / (" + lit(1) + " + " + mathFn("exp", t) + "(-" +
           a[0] + ")))";
  case OpKind::Relu: // NaN stays NaN, as in PyTorch
    return "(" + a[0] + " < " + lit(0) + " ? " + lit(0) + " : " + a[0] + ")";
  case OpKind::Sign: // sign(0) = 0, and sign(NaN) = 0 as in PyTorch
    return "(" + a[0] + " > " + lit(0) + " ? " + lit(1) + " : (" + a[0] +
           " < " + lit(0) + " ? " + lit(-1) + " : " + lit(0) + "))";
  case OpKind::Gelu: {
    const std::string &x = a[0];
    if (getString(n->attrs, "approximate", "none") == "tanh") {
      // x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      std::string u = lit(0.7978845608028654) + " * (" + x + " + " + lit(0.044715) +
                      " * " + x + " * " + x + " * " + x + ")";
      std::string th = t == DType::F32 ? "gc_tanhf(" + u + ")" : "tanh(" + u + ")";
      return "(" + x + " * " + lit(0.5) + " * (" + lit(1) + " + " + th + "))";
    }
    // x/2 (1 + erf(x / sqrt 2)); f32 erf is the prelude's vectorizable form
    return "(" + x + " * " + lit(0.5) + " * (" + lit(1) + " + " +
           (t == DType::F32 ? std::string("gc_erff") : std::string("erf")) + "(" + x +
           " * " + lit(0.7071067811865476) + ")))";
  }
  case OpKind::Silu: // x / (1 + e^-x)
    return "(" + a[0] + " / (" + lit(1) + " + " + mathFn("exp", t) + "(-" +
           a[0] + ")))";
  case OpKind::LeakyRelu:
    return "(" + a[0] + " > " + lit(0) + " ? " + a[0] + " : " + a[0] + " * " +
           lit(getFloat(n->attrs, "negative_slope", 0.01)) + ")";
  case OpKind::Elu: // alpha (e^x - 1) for x <= 0
    return "(" + a[0] + " > " + lit(0) + " ? " + a[0] + " : " +
           lit(getFloat(n->attrs, "alpha", 1)) + " * " + call("expm1") + ")";
  case OpKind::Softplus: { // log1p(e^(beta x)) / beta; x where beta x > threshold
    std::string bx = "(" + a[0] + " * " + lit(getFloat(n->attrs, "beta", 1)) + ")";
    return "(" + bx + " > " + lit(getFloat(n->attrs, "threshold", 20)) + " ? " +
           a[0] + " : " + mathFn("log1p", t) + "(" + mathFn("exp", t) + "(" + bx +
           ")) / " + lit(getFloat(n->attrs, "beta", 1)) + ")";
  }
  case OpKind::Erf: // f32: the vectorizable form in the prelude
    return t == DType::F32 ? "gc_erff(" + a[0] + ")" : call("erf");
  case OpKind::Log1p: return call("log1p");
  case OpKind::Expm1: return call("expm1");
  case OpKind::Rsqrt: return "(" + lit(1) + " / " + call("sqrt") + ")";
  case OpKind::Reciprocal: return "(" + lit(1) + " / " + a[0] + ")";
  case OpKind::Clamp: { // NaN stays NaN, as in PyTorch
    std::string r = a[0];
    if (n->attrs.count("min"))
      r = "gc_max<" + T + ">(" + r + ", " + lit(getFloat(n->attrs, "min", 0)) + ")";
    if (n->attrs.count("max"))
      r = "gc_min<" + T + ">(" + r + ", " + lit(getFloat(n->attrs, "max", 0)) + ")";
    return r;
  }
  case OpKind::Hardtanh:
    return "gc_min<" + T + ">(gc_max<" + T + ">(" + a[0] + ", " +
           lit(getFloat(n->attrs, "min_val", -1)) + "), " +
           lit(getFloat(n->attrs, "max_val", 1)) + ")";
  case OpKind::Detach:
  case OpKind::Expand:
  case OpKind::Reshape:
  case OpKind::Squeeze:
  case OpKind::Unsqueeze:
    return a[0];
  case OpKind::Add: return "(" + a[0] + " + " + a[1] + ")";
  case OpKind::Sub: return "(" + a[0] + " - " + a[1] + ")";
  case OpKind::Mul: return "(" + a[0] + " * " + a[1] + ")";
  case OpKind::Div: return "(" + a[0] + " / " + a[1] + ")";
  case OpKind::Pow: return mathFn("pow", t) + "(" + a[0] + ", " + a[1] + ")";
  case OpKind::Maximum: return "gc_max<" + T + ">(" + a[0] + ", " + a[1] + ")";
  case OpKind::Minimum: return "gc_min<" + T + ">(" + a[0] + ", " + a[1] + ")";
  case OpKind::Lt: return "(" + a[0] + " < " + a[1] + ")";
  case OpKind::Le: return "(" + a[0] + " <= " + a[1] + ")";
  case OpKind::Gt: return "(" + a[0] + " > " + a[1] + ")";
  case OpKind::Ge: return "(" + a[0] + " >= " + a[1] + ")";
  case OpKind::Eq: return "(" + a[0] + " == " + a[1] + ")";
  case OpKind::Ne: return "(" + a[0] + " != " + a[1] + ")";
  case OpKind::Where:
    return "(" + a[0] + " ? " + a[1] + " : " + a[2] + ")";
  case OpKind::MaskedFill:
    // The value takes x's dtype (the last operand is the bool mask).
    return "(" + a[1] + " ? " + literal(getFloat(n->attrs, "value", 0), n->type.dtype) +
           " : " + a[0] + ")";
  case OpKind::Input: case OpKind::Constant: case OpKind::Seed:
  case OpKind::Logsumexp: case OpKind::Var: case OpKind::Std: case OpKind::Norm:
  case OpKind::Argmax: case OpKind::Argmin:
  case OpKind::Triu: case OpKind::Tril: case OpKind::Dropout:
  case OpKind::Cumsum:
  case OpKind::Sum: case OpKind::Mean: case OpKind::Max: case OpKind::Min:
  case OpKind::Transpose: case OpKind::Permute: case OpKind::Concat:
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
  case OpKind::Arange: case OpKind::Full: case OpKind::ZerosLike: case OpKind::OnesLike:
    throw InternalError("codegen", std::string("'") + n->info().name +
                                       "' is not elementwise");
  }
}

} // namespace gradc
