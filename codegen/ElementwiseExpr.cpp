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
#include "ir/OpClasses.h"

#include <cmath>

namespace gradc {

using emit::mathFn;

namespace {

/// What every template reads: the node, its operands' spellings, the
/// element type of the computation (the last operand's: a comparison's
/// result is bool, its arithmetic is its operands') and the result's C++
/// type.
struct Tpl {
  const Node *n;
  const std::vector<std::string> &a;
  DType t;
  std::string T;
};

std::string unaryExpr(UnaryOp op, const Tpl &e) {
  const Node *n = e.n;
  const std::vector<std::string> &a = e.a;
  DType t = e.t;
  const std::string &T = e.T;
  auto lit = [&](double v) { return literal(v, t); };
  auto call = [&](const char *f) { return mathFn(f, t) + "(" + a[0] + ")"; };
  switch (op) {
  case UnaryOp::Neg: return "(-" + a[0] + ")";
  case UnaryOp::Exp: return call("exp");
  case UnaryOp::Log: return call("log");
  case UnaryOp::Sqrt: return call("sqrt");
  case UnaryOp::Sin: return call("sin");
  case UnaryOp::Cos: return call("cos");
  case UnaryOp::Tanh: // f32: the vectorizable form in the prelude
    return t == DType::F32 ? "gc_tanhf(" + a[0] + ")" : call("tanh");
  case UnaryOp::Abs:
    if (isFloat(t)) return call("fabs");
    return "(" + a[0] + " < 0 ? -" + a[0] + " : " + a[0] + ")";
  case UnaryOp::Sigmoid: // 1 / (1 + e^-x)
    return "(" + lit(1) + " / (" + lit(1) + " + " + mathFn("exp", t) + "(-" +
           a[0] + ")))";
  case UnaryOp::Relu: // NaN stays NaN, as in PyTorch
    return "(" + a[0] + " < " + lit(0) + " ? " + lit(0) + " : " + a[0] + ")";
  case UnaryOp::Sign: // sign(0) = 0, and sign(NaN) = 0 as in PyTorch
    return "(" + a[0] + " > " + lit(0) + " ? " + lit(1) + " : (" + a[0] +
           " < " + lit(0) + " ? " + lit(-1) + " : " + lit(0) + "))";
  case UnaryOp::Gelu: {
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
  case UnaryOp::Silu: // x / (1 + e^-x)
    return "(" + a[0] + " / (" + lit(1) + " + " + mathFn("exp", t) + "(-" +
           a[0] + ")))";
  case UnaryOp::LeakyRelu:
    return "(" + a[0] + " > " + lit(0) + " ? " + a[0] + " : " + a[0] + " * " +
           lit(getFloat(n->attrs, "negative_slope", 0.01)) + ")";
  case UnaryOp::Elu: // alpha (e^x - 1) for x <= 0
    return "(" + a[0] + " > " + lit(0) + " ? " + a[0] + " : " +
           lit(getFloat(n->attrs, "alpha", 1)) + " * " + call("expm1") + ")";
  case UnaryOp::Softplus: { // log1p(e^(beta x)) / beta; x where beta x > threshold
    std::string bx = "(" + a[0] + " * " + lit(getFloat(n->attrs, "beta", 1)) + ")";
    return "(" + bx + " > " + lit(getFloat(n->attrs, "threshold", 20)) + " ? " +
           a[0] + " : " + mathFn("log1p", t) + "(" + mathFn("exp", t) + "(" + bx +
           ")) / " + lit(getFloat(n->attrs, "beta", 1)) + ")";
  }
  case UnaryOp::Erf: // f32: the vectorizable form in the prelude
    return t == DType::F32 ? "gc_erff(" + a[0] + ")" : call("erf");
  case UnaryOp::Log1p: return call("log1p");
  case UnaryOp::Expm1: return call("expm1");
  case UnaryOp::Rsqrt: return "(" + lit(1) + " / " + call("sqrt") + ")";
  case UnaryOp::Reciprocal: return "(" + lit(1) + " / " + a[0] + ")";
  case UnaryOp::Clamp: { // NaN stays NaN, as in PyTorch
    std::string r = a[0];
    if (n->attrs.count("min"))
      r = "gc_max<" + T + ">(" + r + ", " + lit(getFloat(n->attrs, "min", 0)) + ")";
    if (n->attrs.count("max"))
      r = "gc_min<" + T + ">(" + r + ", " + lit(getFloat(n->attrs, "max", 0)) + ")";
    return r;
  }
  case UnaryOp::Hardtanh:
    return "gc_min<" + T + ">(gc_max<" + T + ">(" + a[0] + ", " +
           lit(getFloat(n->attrs, "min_val", -1)) + "), " +
           lit(getFloat(n->attrs, "max_val", 1)) + ")";
  case UnaryOp::Detach: // the operand's value (a view)
    return a[0];
  }
  throw InternalError("codegen", "unknown unary op");
}

std::string binaryExpr(BinaryOp op, const Tpl &e) {
  const Node *n = e.n;
  const std::vector<std::string> &a = e.a;
  DType t = e.t;
  const std::string &T = e.T;
  switch (op) {
  case BinaryOp::Add: return "(" + a[0] + " + " + a[1] + ")";
  case BinaryOp::Sub: return "(" + a[0] + " - " + a[1] + ")";
  case BinaryOp::Mul: return "(" + a[0] + " * " + a[1] + ")";
  case BinaryOp::Div: return "(" + a[0] + " / " + a[1] + ")";
  case BinaryOp::Pow: return mathFn("pow", t) + "(" + a[0] + ", " + a[1] + ")";
  case BinaryOp::Maximum: return "gc_max<" + T + ">(" + a[0] + ", " + a[1] + ")";
  case BinaryOp::Minimum: return "gc_min<" + T + ">(" + a[0] + ", " + a[1] + ")";
  case BinaryOp::MaskedFill:
    // The value takes x's dtype (the last operand is the bool mask).
    return "(" + a[1] + " ? " + literal(getFloat(n->attrs, "value", 0), n->type.dtype) +
           " : " + a[0] + ")";
  }
  throw InternalError("codegen", "unknown binary op");
}

std::string compareExpr(CompareOp op, const std::vector<std::string> &a) {
  switch (op) {
  case CompareOp::Lt: return "(" + a[0] + " < " + a[1] + ")";
  case CompareOp::Le: return "(" + a[0] + " <= " + a[1] + ")";
  case CompareOp::Gt: return "(" + a[0] + " > " + a[1] + ")";
  case CompareOp::Ge: return "(" + a[0] + " >= " + a[1] + ")";
  case CompareOp::Eq: return "(" + a[0] + " == " + a[1] + ")";
  case CompareOp::Ne: return "(" + a[0] + " != " + a[1] + ")";
  }
  throw InternalError("codegen", "unknown comparison");
}

std::string ternaryExpr(TernaryOp op, const std::vector<std::string> &a) {
  switch (op) {
  case TernaryOp::Where:
    return "(" + a[0] + " ? " + a[1] + " : " + a[2] + ")";
  }
  throw InternalError("codegen", "unknown ternary op");
}

} // namespace

std::string elementwiseExpr(const Node *n, const std::vector<std::string> &a) {
  DType t = n->operands.empty() ? n->type.dtype : n->operands.back()->type.dtype;
  Tpl e{n, a, t, dtypeCppName(n->type.dtype)};
  // The class first: a new reduction or op with a loop nest of its own
  // needs no line here, only a new elementwise op (of its class's switch).
  switch (n->info().cls) {
  case OpClass::Unary: return unaryExpr(unaryOp(n->op), e);
  case OpClass::Binary: return binaryExpr(binaryOp(n->op), e);
  case OpClass::Compare: return compareExpr(compareOp(n->op), a);
  case OpClass::Ternary: return ternaryExpr(ternaryOp(n->op), a);
  case OpClass::Shape:
    // The views that keep each element's value where the loop reads it
    // (the loop indexes their operand through the broadcast or reshape).
    if (n->info().props & (opprop::Reshape | opprop::Elementwise)) return a[0];
    break;
  case OpClass::Leaf: case OpClass::Reduce: case OpClass::Special:
    break;
  }
  throw InternalError("codegen", std::string("'") + n->info().name +
                                     "' is not elementwise");
}

} // namespace gradc
