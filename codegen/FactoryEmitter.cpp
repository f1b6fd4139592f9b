//===- codegen/FactoryEmitter.cpp - arange, full, zeros_like, ones_like ---===//
#include "codegen/OpEmitter.h"

#include "codegen/CodeWriter.h"

namespace gradc {

std::string OpEmitter::factory(const Node *n) {
  // arange: y[i] = start + i * step, computed in double and converted once
  // (as PyTorch's CPU kernel does for floats; exact for integers).
  // full, zeros_like, ones_like: one value everywhere.
  std::string T = dtypeCppName(n->type.dtype), out = ptrOf(n);
  std::string count = std::to_string(n->type.numel()) + "LL";
  CodeWriter w;
  std::string loop = "for (long long i = 0; i < " + count + "; ++i) ";
  if (n->op == OpKind::Arange) {
    w.line(loop + out + "[i] = (" + T + ")(" +
           literal(getFloat(n->attrs, "start", 0), DType::F64) + " + (double)i * " +
           literal(getFloat(n->attrs, "step", 1), DType::F64) + ");");
    return w.str();
  }
  double v = n->op == OpKind::OnesLike ? 1 : 0;
  if (n->op == OpKind::Full) {
    const Attr &a = n->attrs.at("fill_value");
    v = std::holds_alternative<bool>(a) ? (std::get<bool>(a) ? 1 : 0)
                                        : getFloat(n->attrs, "fill_value", 0);
  }
  w.line(loop + out + "[i] = " + literal(v, n->type.dtype) + ";");
  return w.str();
}

} // namespace gradc
